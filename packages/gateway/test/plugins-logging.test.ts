import { Writable } from 'node:stream';
import { createGateway } from '@switchyard/gateway';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/client.js';

interface Line {
  level: number;
  msg: string;
  setting?: string;
  status?: number;
}

/** A gateway whose logger (level info, as the CLI's default) writes into `lines`. */
async function logged(logging: Record<string, unknown> | null, origin: string) {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const gateway = createGateway({
    config: {
      version: 3,
      ...(logging ? { extra_config: { 'telemetry/logging': logging } } : {}),
      endpoints: [{ endpoint: '/ok', backend: [{ host: [origin], url_pattern: '/ok' }] }],
    },
    host: '127.0.0.1',
    port: 0,
    admin: false,
    logger: createLogger({ level: 'info', destination }),
  });
  const { port } = await gateway.listen();
  expect((await send(port, '/ok')).status).toBe(200);
  await gateway.close();
  return lines;
}

describe('telemetry/logging', () => {
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
  });

  afterAll(async () => {
    await backend.close();
  });

  it('logs at info without the namespace: no request lines', async () => {
    const lines = await logged(null, backend.origin);
    expect(lines.map((l) => l.msg)).toContain('gateway listening');
    expect(lines.filter((l) => l.msg === 'request')).toEqual([]);
  });

  it('level DEBUG logs each request; prefix goes before every message', async () => {
    const lines = await logged({ level: 'DEBUG', prefix: '[KRAKEND]', stdout: true }, backend.origin);
    const requests = lines.filter((l) => l.msg === '[KRAKEND] request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ level: 20, status: 200 });
    expect(lines.map((l) => l.msg)).toContain('[KRAKEND] gateway listening');
    expect(lines.every((l) => l.msg.startsWith('[KRAKEND] '))).toBe(true);
  });

  it('level ERROR and CRITICAL keep info and warnings out', async () => {
    expect(await logged({ level: 'ERROR' }, backend.origin)).toEqual([]);
    expect(await logged({ level: 'CRITICAL', syslog: true }, backend.origin)).toEqual([]);
  });

  it('warns that syslog, stdout false and other formats are not applied', async () => {
    const lines = await logged(
      { level: 'WARNING', syslog: true, stdout: false, format: 'custom' },
      backend.origin,
    );
    expect(lines.map((l) => [l.level, l.setting, l.msg])).toEqual([
      [40, 'telemetry/logging.syslog', 'syslog is not implemented by Switchyard; logging to the output'],
      [40, 'telemetry/logging.stdout', 'Switchyard always logs to its output'],
      [40, 'telemetry/logging.format', 'format custom is not implemented by Switchyard; logging JSON lines'],
    ]);
  });
});
