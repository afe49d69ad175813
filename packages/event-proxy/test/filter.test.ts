import type { EventProxy } from '@switchyard/event-proxy';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fileProxy } from './support/file-proxy.js';
import { tempDir } from './support/proxy-settings.js';
import { sampleEvents } from './support/sample-events.js';

const tmp = tempDir('filter');
let proxy: EventProxy | undefined;
afterEach(async () => {
  await proxy?.close({ deadlineMs: 1000 });
  proxy = undefined;
});
afterAll(() => tmp.cleanup());

describe('event type filter (EVENT_FILTER_TYPES)', () => {
  it('delivers only the listed types, from every source, and counts the rest as filtered', async () => {
    const p = await fileProxy(tmp.dir, 'some', { filter: { types: ['request', 'node_health'] } });
    proxy = p.proxy;
    const published = sampleEvents(40, 'pub');
    const posted = sampleEvents(20, 'http');
    const publishResult = await proxy.publish(published);
    const keep = (e: { event_type: string }) => e.event_type === 'request' || e.event_type === 'node_health';
    expect(publishResult).toEqual({
      accepted: published.filter(keep).length,
      filtered: published.filter((e) => !keep(e)).length,
      dropped: 0,
    });
    const res = await request(`${p.url}/events`, { method: 'POST', body: JSON.stringify(posted) });
    expect(res.statusCode).toBe(202);
    expect(await res.body.json()).toMatchObject({ accepted: 20, queued: posted.filter(keep).length });
    await proxy.flush(10_000);
    expect(p.delivered()).toEqual([...published, ...posted].filter(keep));
    const filtered = await proxy.metrics.registry.getSingleMetric('switchyard_events_filtered_total')?.get();
    expect(filtered?.values[0]?.value).toBe([...published, ...posted].filter((e) => !keep(e)).length);
  });

  it('an empty list keeps every type', async () => {
    const p = await fileProxy(tmp.dir, 'all', { filter: { types: [] } });
    proxy = p.proxy;
    const sent = sampleEvents(16);
    await proxy.publish(sent);
    await proxy.flush(10_000);
    expect(p.delivered()).toEqual(sent);
  });
});
