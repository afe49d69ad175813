import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { inflateSync } from 'node:zlib';
import { createGateway } from '@switchyard/gateway';
import { createLogger } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GELF_MAX_PENDING, gelfStream } from '../../src/plugins/gelf.js';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { until } from '../support/wait.js';

type Line = Record<string, unknown>;

/** A gateway (its logger at info, as the CLI's default) whose output lines land in `lines`. */
async function run(extra: Record<string, unknown>, origin: string, headers: Record<string, string> = {}) {
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
      extra_config: extra,
      endpoints: [{ endpoint: '/ok', backend: [{ host: [origin], url_pattern: '/ok' }] }],
    },
    host: '127.0.0.1',
    port: 0,
    admin: false,
    logger: createLogger({ level: 'info', destination }),
  });
  const { port } = await gateway.listen();
  expect((await send(port, '/ok', { headers })).status).toBe(200);
  await gateway.close();
  return lines;
}

/** A GELF UDP input on loopback: reassembles chunked datagrams and inflates them. */
async function udpInput() {
  const messages: Line[] = [];
  const parts = new Map<string, Buffer[]>();
  const socket = createSocket('udp4');
  socket.on('message', (packet) => {
    let payload = packet;
    if (packet[0] === 0x1e && packet[1] === 0x0f) {
      const id = packet.subarray(2, 10).toString('hex');
      const seq = packet[10] as number;
      const count = packet[11] as number;
      const got = parts.get(id) ?? [];
      got[seq] = packet.subarray(12);
      parts.set(id, got);
      if (got.filter(Boolean).length < count) return;
      parts.delete(id);
      payload = Buffer.concat(got);
    }
    messages.push(JSON.parse(inflateSync(payload).toString('utf8')) as Line);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { messages, port: socket.address().port, close: () => socket.close() };
}

/** A GELF TCP input on loopback: null-delimited JSON. */
async function tcpInput() {
  const messages: Line[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((conn) => {
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    let pending = '';
    conn.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let at = pending.indexOf('\0');
      while (at >= 0) {
        messages.push(JSON.parse(pending.slice(0, at)) as Line);
        pending = pending.slice(at + 1);
        at = pending.indexOf('\0');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  /** Ends every connection the input holds (a GELF input keeps them open for more messages). */
  const hangUp = () => {
    for (const c of open) c.destroy();
  };
  return { messages, port, hangUp, close: () => server.close() };
}

describe('telemetry/logstash', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
  });
  afterAll(async () => {
    await backend.close();
  });

  it('writes krakend-logstash lines: @version, @timestamp, module (the prefix), host, message, level', async () => {
    const lines = await run(
      {
        'telemetry/logging': { level: 'DEBUG', prefix: '[KRAKEND]', stdout: true },
        'telemetry/logstash': { enabled: true },
      },
      backend.origin,
      { authorization: 'Bearer secret-token' },
    );
    const listening = lines.find((l) => l.message === 'gateway listening');
    expect(listening).toMatchObject({
      '@version': 1,
      module: '[KRAKEND]',
      host: hostname(),
      level: 'INFO',
      log_host: '127.0.0.1',
    });
    expect(listening?.['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
    expect(listening).not.toHaveProperty('msg');
    expect(listening).not.toHaveProperty('time');
    const request = lines.find((l) => l.message === 'request');
    expect(request).toMatchObject({ level: 'DEBUG', status: 200, module: '[KRAKEND]' });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('format logstash in telemetry/logging does the same; module defaults to KRAKEND', async () => {
    const lines = await run({ 'telemetry/logging': { level: 'INFO', format: 'logstash' } }, backend.origin);
    expect(lines.find((l) => l.message === 'gateway listening')).toMatchObject({
      module: 'KRAKEND',
      level: 'INFO',
    });
  });

  it('without telemetry/logging it has no effect, as in KrakenD, and says so', async () => {
    const lines = await run({ 'telemetry/logstash': { enabled: true } }, backend.origin);
    expect(lines.find((l) => l.msg === 'gateway listening')).toBeDefined();
    expect(lines.find((l) => l.setting === 'telemetry/logstash')).toMatchObject({
      level: 40,
      msg: 'needs telemetry/logging, as in KrakenD; ignored',
    });
  });
});

describe('telemetry/gelf', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
  });
  afterAll(async () => {
    await backend.close();
  });

  it('sends every line over UDP (deflated, chunked) and still writes it to the output', async () => {
    const input = await udpInput();
    try {
      const lines = await run(
        {
          'telemetry/logging': { level: 'DEBUG' },
          'telemetry/gelf': { address: `127.0.0.1:${input.port}` },
        },
        backend.origin,
        { authorization: 'Bearer secret-token' },
      );
      expect(lines.find((l) => l.msg === 'gateway listening')).toBeDefined();
      await until(() => input.messages.some((m) => m.short_message === 'request'));
      const listening = input.messages.find((m) => m.short_message === 'gateway listening');
      expect(listening).toMatchObject({
        version: '1.1',
        host: hostname(),
        level: 6,
        _line_host: '127.0.0.1',
      });
      expect(typeof listening?.timestamp).toBe('number');
      const request = input.messages.find((m) => m.short_message === 'request');
      expect(request).toMatchObject({ level: 7, _status: 200 });
      expect(JSON.stringify(input.messages)).not.toContain('secret-token');
    } finally {
      input.close();
    }
  });

  it('enable_tcp sends null-delimited GELF over TCP; with logstash the levels map too', async () => {
    const input = await tcpInput();
    try {
      await run(
        {
          'telemetry/logging': { level: 'INFO', prefix: '[GW]' },
          'telemetry/logstash': { enabled: true },
          'telemetry/gelf': { address: `127.0.0.1:${input.port}`, enable_tcp: true },
        },
        backend.origin,
      );
      await until(() => input.messages.some((m) => m.short_message === 'gateway stopped'));
      const listening = input.messages.find((m) => m.short_message === 'gateway listening');
      expect(listening).toMatchObject({
        version: '1.1',
        level: 6,
        _module: '[GW]',
        _log_host: '127.0.0.1',
        _line_host: hostname(),
      });
      expect(Object.keys(listening ?? {}).filter((k) => k.includes('version'))).toEqual(['version']);
    } finally {
      input.close();
    }
  });

  it('holds at most GELF_MAX_PENDING lines in flight to an input that keeps its connections: the rest are dropped', async () => {
    const input = await tcpInput();
    const stream = gelfStream({ address: `127.0.0.1:${input.port}`, enable_tcp: true });
    try {
      const burst = GELF_MAX_PENDING * 3;
      for (let i = 0; i < burst; i++) stream.write(`${JSON.stringify({ level: 30, msg: `burst ${i}` })}\n`);
      await until(() => input.messages.length >= GELF_MAX_PENDING);
      // Once the input lets go of its connections, lines flow again.
      let probes = 0;
      await until(() => {
        input.hangUp();
        stream.write(`${JSON.stringify({ level: 30, msg: `probe ${probes++}` })}\n`);
        return input.messages.some((m) => String(m.short_message).startsWith('probe'));
      });
      const bursts = input.messages.filter((m) => String(m.short_message).startsWith('burst'));
      expect(bursts.length).toBe(GELF_MAX_PENDING);
    } finally {
      stream.destroy();
      input.hangUp();
      input.close();
    }
  });

  it('an input that is not there loses nothing on the output and does not stop the gateway', async () => {
    const input = await udpInput();
    input.close();
    const lines = await run(
      { 'telemetry/gelf': { address: `127.0.0.1:${input.port}`, enable_tcp: true } },
      backend.origin,
    );
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['gateway listening', 'gateway stopped']));
  });
});
