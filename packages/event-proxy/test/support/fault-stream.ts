import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '@switchyard/shared';
import { request } from 'undici';

export interface SteadyStreamOptions {
  events: readonly Envelope[];
  /** Events per send. */
  batch: number;
  /** A send starts every `intervalMs` (later when the previous one took longer: backpressure slows it). */
  intervalMs: number;
  /** Sends one batch; resolves true once acknowledged, false when it was not (it may still arrive). */
  send(batch: Envelope[]): Promise<boolean>;
  /** Stops sending after this long, whatever is left (bounds the test). */
  maxMs: number;
}

/** What a stream sent: `acked` ids must all be delivered; `attempted` ids may be. */
export interface StreamRun {
  readonly acked: string[];
  readonly attempted: Set<string>;
  /** Resolves once at least `n` events were acknowledged (or the stream ended). */
  whenAcked(n: number): Promise<void>;
  readonly done: Promise<void>;
}

/** Sends `events` in batches at a steady pace, bounded in count and time, recording what was acknowledged. */
export function steadyStream(o: SteadyStreamOptions): StreamRun {
  const acked: string[] = [];
  const attempted = new Set<string>();
  const waiters: Array<{ n: number; resolve(): void }> = [];
  let ended = false;
  const wake = () => {
    for (const w of [...waiters]) {
      if (ended || acked.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const done = (async () => {
    const stopAt = Date.now() + o.maxMs;
    let next = Date.now();
    try {
      for (let i = 0; i < o.events.length && Date.now() < stopAt; i += o.batch) {
        const batch = o.events.slice(i, i + o.batch);
        for (const e of batch) attempted.add(e.id);
        if (await o.send(batch)) acked.push(...batch.map((e) => e.id));
        wake();
        next += o.intervalMs;
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        else next = Date.now();
      }
    } finally {
      ended = true;
      wake();
    }
  })();
  return {
    acked,
    attempted,
    done,
    whenAcked: (n) =>
      ended || acked.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

export interface Tally {
  /** Acknowledged ids (each must be delivered). */
  sent: number;
  /** Distinct ids delivered. */
  delivered: number;
  /** Acknowledged but never delivered: must be empty. */
  missing: string[];
  /** Delivered but never sent: must be empty. */
  unexpected: string[];
  /** Deliveries beyond the first of an id (at-least-once allows them; counted and printed). */
  duplicates: number;
}

/** Compares by event id what was acknowledged against what the target received. */
export function tally(
  acked: readonly string[],
  delivered: readonly string[],
  attempted: ReadonlySet<string> = new Set(acked),
): Tally {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const id of delivered) {
    if (seen.has(id)) duplicates++;
    else seen.add(id);
  }
  const ackedSet = new Set(acked);
  return {
    sent: acked.length,
    delivered: seen.size,
    missing: acked.filter((id) => !seen.has(id)),
    unexpected: [...seen].filter((id) => !attempted.has(id) && !ackedSet.has(id)),
    duplicates,
  };
}

/** One summary line per fault test. */
export function report(name: string, t: Tally, extra: Record<string, number | string> = {}): void {
  const more = Object.entries(extra)
    .map(([k, v]) => `, ${k} ${v}`)
    .join('');
  console.log(
    `[fault] ${name}: sent ${t.sent}, delivered ${t.delivered}, missing ${t.missing.length}, ` +
      `unexpected ${t.unexpected.length}, duplicates ${t.duplicates}${more}`,
  );
}

/** A `send` for steadyStream that publishes in process: acknowledged when the proxy accepted every event. */
export function publishTo(proxy: {
  publish(events: Envelope[]): Promise<{ accepted: number }>;
}): (batch: Envelope[]) => Promise<boolean> {
  return async (batch) => (await proxy.publish(batch)).accepted === batch.length;
}

/** POSTs events to the proxy's ingest: the status, and the Retry-After header of a 503. */
export async function postEvents(
  base: string,
  events: readonly Envelope[],
): Promise<{ status: number; retryAfter: string | undefined }> {
  const res = await request(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  await res.body.dump();
  const retryAfter = res.headers['retry-after'];
  return { status: res.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
}

/** The proxy's /metrics as `name{labels}` → value (exactly as the exposition writes them). */
export async function scrape(base: string): Promise<Map<string, number>> {
  const res = await request(`${base}/metrics`);
  const text = await res.body.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** Polls `check` until it returns true, up to `timeoutMs` (then returns false). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}
