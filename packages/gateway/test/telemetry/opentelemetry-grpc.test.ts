import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startBackend, type TestBackend } from '../support/backend.js';
import { send } from '../support/client.js';
import { startGateway } from '../support/gateway.js';
import { until } from '../support/wait.js';

/** The OTLP collector services' Export methods, taking the protobuf bytes as they come. */
const exportMethod = (path: string) => ({
  Export: {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
});

/** An OTLP/gRPC receiver on loopback (insecure, as a local collector): the requests by service. */
async function grpcReceiver() {
  const got: { service: string; body: Buffer }[] = [];
  const server = new Server();
  for (const service of ['trace.v1.TraceService', 'metrics.v1.MetricsService'])
    server.addService(exportMethod(`/opentelemetry.proto.collector.${service}/Export`), {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => {
        got.push({ service, body: call.request });
        done(null, Buffer.alloc(0));
      },
    });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { port, got, close: () => server.forceShutdown() };
}

describe('telemetry/opentelemetry over gRPC (use_http false)', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend((_req, res) => json(res, { ok: true }));
  });
  afterAll(async () => {
    await backend.close();
  });

  it('exports spans and metrics to an OTLP gRPC collector', async () => {
    const otlp = await grpcReceiver();
    try {
      const gw = await startGateway({
        extra_config: {
          'telemetry/opentelemetry': {
            service_name: 'edge-grpc',
            exporters: { otlp: [{ name: 'collector', host: '127.0.0.1', port: otlp.port }] },
          },
        },
        endpoints: [
          { endpoint: '/users/{id}', backend: [{ host: [backend.origin], url_pattern: '/u/{id}' }] },
        ],
      });
      expect((await send(gw.port, '/users/3')).status).toBe(200);
      await gw.close();
      await until(() => otlp.got.some((g) => g.service === 'metrics.v1.MetricsService'));
      const traces = Buffer.concat(
        otlp.got.filter((g) => g.service === 'trace.v1.TraceService').map((g) => g.body),
      );
      // Protobuf keeps strings as they are: the span names, stages and the service name are in the bytes.
      for (const text of ['edge-grpc', '/users/3', '/users/:id', '/u/:id', 'backend-request'])
        expect(traces.includes(text)).toBe(true);
      const metrics = Buffer.concat(
        otlp.got.filter((g) => g.service === 'metrics.v1.MetricsService').map((g) => g.body),
      );
      expect(metrics.includes('krakend.proxy.duration')).toBe(true);
    } finally {
      otlp.close();
    }
  });
});
