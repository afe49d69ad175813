import type { EventProxySettings } from '@switchyard/config';
import { CursorFile } from './cursor-file.js';
import { GatewayStreamSource } from './gateway-stream.js';
import { KongAdminSource } from './kong-admin.js';
import { SettledCursor } from './settled-cursor.js';
import type { Source } from './source.js';
import { acceptWhenRoom } from './wait-for-room.js';

/**
 * The sources the settings ask for, besides the always-on ones (in-process publish and the listener's
 * ingest routes): the gateway admin stream (`gateway.admin_url`) and the Kong Admin API poller
 * (`kong.admin_url`). Each hands its events to the pipeline and moves on only once they were accepted;
 * while the queue is full under the block policy, they wait (paused) instead of failing.
 *
 * The gateway stream's cursor is saved in `<spool.dir>/gateway-cursor`, and a restarted proxy resumes
 * after it. With the disk spool it is the last id the spool took (the spool keeps those across the
 * restart); with a memory-only queue it is the last id the sink confirmed (a restart loses the queue, so
 * those events must be read again from the gateway's ring).
 */
export function createSources(
  settings: EventProxySettings,
  hooks: {
    /** Told the node id of the polled Kong, which the http-log route uses for entries that carry none. */
    onKongNodeId(id: string): void;
    /** Whether the queue keeps events across a restart (the disk spool): decides what the cursor means. */
    durableQueue: boolean;
  },
): Source[] {
  const sources: Source[] = [];
  const { gateway, kong, filter } = settings;
  if (gateway) {
    let stream: GatewayStreamSource | undefined;
    let cursorFile: CursorFile | undefined;
    const stopping = new AbortController();
    sources.push({
      name: 'gateway_stream',
      async start(ctx) {
        const accept = acceptWhenRoom(ctx, stopping.signal);
        const file = new CursorFile(settings.spool.dir, ctx.logger);
        cursorFile = file;
        const lastId = await file.read();
        if (lastId)
          ctx.logger.info({ cursor: lastId }, 'resuming the gateway event stream after the saved cursor');
        const settled = hooks.durableQueue ? undefined : new SettledCursor((id) => file.save(id));
        if (settled) ctx.onSettled((events) => settled.settled(events));
        stream = new GatewayStreamSource({
          url: gateway.admin_url,
          ...(gateway.token !== undefined && { token: gateway.token }),
          ...(lastId !== undefined && { lastId }),
          // The gateway filters too, so filtered events never cross the wire.
          ...(filter.types.length > 0 && { types: filter.types }),
          logger: ctx.logger,
          onEvents: async (events) => {
            settled?.handing(events);
            try {
              await accept(events);
            } catch (err) {
              settled?.refused(events.length);
              throw err;
            }
          },
          ...(!settled && { onCursor: (id: string) => file.save(id) }),
          onGap: (gap) =>
            ctx.logger.warn({ gap }, 'the gateway no longer had events this proxy had not read'),
        });
        stream.start();
      },
      stop: async () => {
        stopping.abort();
        await stream?.stop();
        await cursorFile?.flush();
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
