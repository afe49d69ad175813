import type { Endpoint } from '@switchyard/config';
import type { Logger } from '@switchyard/shared';
import type { RouteHandler } from '../request/exchange.js';

/**
 * The route of an endpoint Switchyard cannot serve faithfully (the loader marked it `unserved`, or building
 * its pipeline failed): 500 with no body and no headers of ours, as lura's router answers an endpoint whose
 * proxy it could not build. The other endpoints are served; the reason is logged once, when routes are built.
 */
export function unservedHandler(ep: Endpoint, method: string, reason: string, logger: Logger): RouteHandler {
  logger.error(
    { endpoint: ep.endpoint, method, reason },
    'endpoint not served: it answers 500, as KrakenD answers an endpoint it cannot build',
  );
  return (x) => {
    x.begin(ep.endpoint);
    x.send(500, {}, null, false);
  };
}
