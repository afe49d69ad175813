import { createEnvelope, type Envelope } from '@switchyard/shared';

/**
 * `count` realistic envelopes cycling request, response (same request id as the request before it),
 * plugin_updated and node_health, from two nodes; each has distinct field values so a field-by-field
 * comparison catches a mix-up.
 */
export function sampleEvents(count: number, prefix = 'r'): Envelope[] {
  const events: Envelope[] = [];
  for (let i = 0; events.length < count; i++) {
    const node = `node-${i % 2}`;
    const requestId = `${prefix}-${i}`;
    const kind = i % 4;
    if (kind === 0 || kind === 1) {
      events.push(
        createEnvelope(
          'request',
          {
            request_id: requestId,
            method: 'GET',
            path: `/users/${i}`,
            endpoint: '/users/{id}',
            query: { page: String(i), tag: ['a', 'b'] },
            client_ip: '127.0.0.1',
            headers: { 'user-agent': `test/${i}`, authorization: '[REDACTED]' },
            body_bytes: i,
          },
          node,
        ),
      );
      if (events.length < count) {
        events.push(
          createEnvelope(
            'response',
            {
              request_id: requestId,
              method: 'GET',
              path: `/users/${i}`,
              endpoint: '/users/{id}',
              status: 200 + (i % 3),
              latency_ms: i / 10,
              bytes: 100 + i,
              completed: i % 5 !== 0,
              backends: [
                { url: `http://127.0.0.1:9/u/${i}`, method: 'GET', status: 200, latency_ms: i / 20 },
              ],
            },
            node,
          ),
        );
      }
    } else if (kind === 2) {
      events.push(
        createEnvelope(
          'plugin_updated',
          {
            plugin: 'qos/circuit-breaker',
            scope: `/users/{id}#${i}`,
            change: 'state',
            from: 'closed',
            to: 'open',
          },
          node,
        ),
      );
    } else {
      events.push(
        createEnvelope(
          'node_health',
          {
            status: 'ok',
            uptime_s: i,
            rss_bytes: 50_000_000 + i,
            event_loop_lag_ms: 1.5,
            in_flight: i % 7,
            version: '0.1.0',
          },
          node,
        ),
      );
    }
  }
  return events;
}
