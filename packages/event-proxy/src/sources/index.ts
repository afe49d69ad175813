import type { EventProxySettings } from '@switchyard/config';
import { GatewayStreamSource } from './gateway-stream.js';
import { KongAdminSource } from './kong-admin.js';
import type { Source } from './source.js';
import { acceptWhenRoom } from './wait-for-room.js';

/**
 * The sources the settings ask for, besides the always-on ones (in-process publish and the listener's
 * ingest routes): the gateway admin stream (`gateway.admin_url`) and the Kong Admin API poller
 * (`kong.admin_url`). Each hands its events to the pipeline and moves on only once they were accepted;
 * while the queue is full under the block policy, they wait (paused) instead of failing.
 */
export function createSources(
  settings: EventProxySettings,
  hooks: {
    /** Told the node id of the polled Kong, which the http-log route uses for entries that carry none. */
    onKongNodeId(id: string): void;
  },
): Source[] {
  const sources: Source[] = [];
  const { gateway, kong, filter } = settings;
  if (gateway) {
    let stream: GatewayStreamSource | undefined;
    const stopping = new AbortController();
    sources.push({
      name: 'gateway_stream',
      async start(ctx) {
        const accept = acceptWhenRoom(ctx, stopping.signal);
        stream = new GatewayStreamSource({
          url: gateway.admin_url,
          ...(gateway.token !== undefined && { token: gateway.token }),
          // The gateway filters too, so filtered events never cross the wire.
          ...(filter.types.length > 0 && { types: filter.types }),
          logger: ctx.logger,
          onEvents: async (events) => {
            await accept(events);
          },
          onGap: (gap) =>
            ctx.logger.warn({ gap }, 'the gateway no longer had events this proxy had not read'),
        });
        stream.start();
      },
      stop: async () => {
        stopping.abort();
        await stream?.stop();
      },
    });
  }
  if (kong) {
    let poller: KongAdminSource | undefined;
    const stopping = new AbortController();
    sources.push({
      name: 'kong_admin',
      async start(ctx) {
        const accept = acceptWhenRoom(ctx, stopping.signal);
        poller = new KongAdminSource({
          adminUrl: kong.admin_url,
          timeoutMs: kong.admin_timeout_ms,
          pollIntervalMs: kong.poll_interval_ms,
          logger: ctx.logger,
          onEvents: async (events) => {
            const nodeId = events[0]?.kong_node_id;
            if (nodeId) hooks.onKongNodeId(nodeId);
            await accept(events);
          },
        });
        poller.start();
      },
      stop: async () => {
        stopping.abort();
        await poller?.stop();
      },
    });
  }
  return sources;
}
