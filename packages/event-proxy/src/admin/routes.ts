import type { Registry } from 'prom-client';
import { sendJson } from '../listener/respond.js';
import type { Route } from '../listener/server.js';

export interface AdminDeps {
  registry: Registry;
  /** What /readyz reports: the sink looks reachable and the queue takes events. */
  readiness(): { sink: boolean; queue: boolean };
}

/** `/healthz` (the process answers), `/readyz` (it can take and deliver events), `/metrics` (Prometheus). */
export function adminRoutes(deps: AdminDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      async handle(_req, res) {
        sendJson(res, 200, { status: 'ok' });
      },
    },
    {
      method: 'GET',
      path: '/readyz',
      async handle(_req, res) {
        const checks = deps.readiness();
        const ready = checks.sink && checks.queue;
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const text = await deps.registry.metrics();
        res.writeHead(200, { 'content-type': deps.registry.contentType });
        res.end(text);
      },
    },
  ];
}
