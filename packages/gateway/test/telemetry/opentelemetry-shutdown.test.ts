import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { json, startBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway } from '../support/gateway.js';
import { capturingLogger } from '../support/logs.js';

it("a collector that is down does not hold the gateway's stop for the exporter's retries", async () => {
  // A port that refuses: the OTLP exporter would retry the last export for its whole 10 s timeout.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const backend = await startBackend((_req, res) => json(res, { ok: true }));
  const { logger, lines } = capturingLogger('warn');
  try {
    const gw = await startGateway(
      {
        extra_config: {
          'telemetry/opentelemetry': {
            exporters: { otlp: [{ name: 'down', host: '127.0.0.1', port, use_http: true }] },
          },
        },
        endpoints: [{ endpoint: '/a', backend: [{ host: [backend.origin], url_pattern: '/a' }] }] as never,
      },
      { logger },
    );
    expect((await send(gw.port, '/a')).status).toBe(200);
    await gw.close();
    // The stop gave up on the unsent spans instead of waiting for the exporter to.
    expect(lines.filter((l) => l.includes('SWY_TELEMETRY_UNFLUSHED'))).toHaveLength(1);
  } finally {
    await backend.close();
  }
});
