import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeUnreadBody, type Logger, SwitchyardError } from '@switchyard/shared';
import { sendError } from './respond.js';

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void>;
}

/** The proxy's one HTTP listener: ingest, health and metrics routes, matched by exact path. */
export function createListener(routes: readonly Route[], logger: Logger): Server {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  let seq = 0;
  const server = createServer(
    // Bounded header size and slow-client timeouts.
    { maxHeaderSize: 16 * 1024, requestTimeout: 60_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      closeUnreadBody(req, res);
      const path = (req.url ?? '/').split('?', 1)[0] as string;
      const log = logger.child({ req: ++seq, method: req.method, path });
      const candidates = byPath.get(path);
      const route = candidates?.find((r) => r.method === req.method);
      if (!route) {
        const err = candidates
          ? new SwitchyardError('SWY_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`)
          : new SwitchyardError('SWY_ROUTE_NOT_FOUND', `no route for ${path}`);
        if (candidates) res.setHeader('allow', candidates.map((r) => r.method).join(', '));
        req.resume();
        sendError(res, err, log);
        return;
      }
      route.handle(req, res, log).catch((err: unknown) => sendError(res, err, log));
    },
  );
  return server;
}
