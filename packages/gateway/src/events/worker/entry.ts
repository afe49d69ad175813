import { Writable } from 'node:stream';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { EventsNamespace } from '@switchyard/config';
import { createLogger, isSwitchyardError, type LogLevel } from '@switchyard/shared';
import type { CommitPoint } from '../handoff/layout.js';
import { HandoffReader } from '../handoff/reader.js';
import { EventHub, type ForwardedEvent } from '../hub.js';
import { buildRecord } from './build.js';
import type {
  AttachEventConsumer,
  EventWorkerConsumer,
  FromWorker,
  SerializedError,
  ToWorker,
  WorkerInit,
} from './messages.js';
import { lowerPriority } from './priority.js';

// The event worker: reads the records the request thread handed off, builds, samples, redacts, filters
// and serialises the events (EventHub), hands them to its consumer (the event proxy in `run`) and, while
// the gateway's own consumers want them, forwards the serialised events to the gateway's hub.

/** Records built per turn of the loop before I/O (the consumer's sends) gets its turn. */
const BATCH = 512;
/** How long the loop sleeps with nothing to read (the writer wakes it sooner). */
const IDLE_WAIT_MS = 1000;
/** How often it looks for records while they keep coming. */
const POLL_MS = 50;
/** How long after the last record it keeps polling before it sleeps until woken. */
const BUSY_MS = 250;
/**
 * Events the worker's hub keeps. It only holds what its consumer has not taken yet (the gateway's own
 * ring, for SSE, is in the gateway's hub): kept as long as `ring_size` says, every event would outlive
 * the young generation, to be copied and promoted by the GC and later collected from the old one.
 */
const WORKER_RING = 2048;

/** The `telemetry/events` settings, with the worker hub's own ring size. */
const withWorkerRing = (settings: EventsNamespace): EventsNamespace => ({
  ...settings,
  ring_size: WORKER_RING,
});

const port = parentPort;
if (!port) throw new Error('the event worker runs in a worker thread');
const init = workerData as WorkerInit;
// Before any work: the worker takes only the CPU time the request thread leaves (see priority.ts).
const priority = await lowerPriority(init.nice, init.idle);
const post = (message: FromWorker) => port.postMessage(message);

const logger = createLogger({
  level: init.logLevel as LogLevel,
  destination: { write: (line: string) => post({ type: 'log', line }) },
});
const reader = new HandoffReader(init.sab);
// A worker started after a failure continues from its predecessor's last commit point: the records after
// it are read again and numbered as before, so their events keep their ids.
const hub = new EventHub({
  settings: withWorkerRing(init.settings),
  nodeId: init.nodeId,
  idTag: init.idTag,
  firstSeq: Math.max(init.firstSeq, reader.resumed.seq),
  idTime: reader.resumed.idTime,
  retainMs: Number.POSITIVE_INFINITY,
  logger,
});
// The worker's hub builds whatever reaches it: the request thread writes only what someone wants.
hub.watch(() => undefined);
reader.publishNextSeq(hub.nextSeq);

/** Commit points not yet published: each once the consumer took the events numbered below its `seq`. */
const pending: CommitPoint[] = [];
/** The last point made (committed or pending). */
let marked: CommitPoint = reader.resumed;
let forwardFrom: number | null = null;
let consumer: EventWorkerConsumer | undefined;
let stopping = false;

/**
 * Sequence numbers the hub may still fill before it would overwrite an event its consumer has not taken
 * (the proxy's queue refusing, or its disk slow): reading stops there, and the hand-off holds the rest.
 */
function room(): number {
  const taken = consumer?.taken?.();
  if (taken === undefined) return Number.POSITIVE_INFINITY;
  return hub.capacity - (hub.nextSeq - taken);
}

/** Builds up to BATCH records; returns how many. */
function step(): number {
  let n = 0;
  let left = Math.min(BATCH, room());
  // Holes take sequence numbers too: a burst of drops larger than the room waits until the consumer took
  // every event, so that it only ever pushes taken events out of the hub.
  const maxLost = (need: number) => {
    const r = room();
    return r >= hub.capacity ? Number.POSITIVE_INFINITY : r - need;
  };
  for (
    let rec = left > 0 ? reader.next(maxLost(1)) : undefined;
    rec;
    rec = left > 0 ? reader.next(maxLost(1)) : undefined
  ) {
    hub.lose(rec.lostBefore);
    try {
      buildRecord(hub, rec.bytes);
    } catch (err) {
      logger.error({ err }, 'an event record could not be read; left out');
    }
    n++;
    left -= 1 + rec.lostBefore;
  }
  if (left > 0) hub.lose(reader.takeDropped(maxLost(0)));
  const { end, dropped } = reader.mark;
  if (end !== marked.end || dropped !== marked.dropped) {
    marked = { end, seq: hub.nextSeq, dropped, idTime: hub.idTime };
    const last = pending.at(-1);
    // Records that made no event (left out by a filter) move the last point on rather than adding one.
    if (last?.seq === marked.seq) Object.assign(last, marked);
    else pending.push(marked);
  }
  reader.publishNextSeq(hub.nextSeq);
  forward();
  release();
  return n;
}

function forward(): void {
  if (forwardFrom === null || forwardFrom >= hub.nextSeq) return;
  const events: ForwardedEvent[] = [];
  for (let seq = Math.max(forwardFrom, hub.oldestSeq); seq < hub.nextSeq; seq++) {
    const e = hub.entry(seq);
    if (e) events.push({ seq, id: e.id, type: e.type, json: e.json });
  }
  forwardFrom = hub.nextSeq;
  if (events.length > 0) post({ type: 'events', events });
}

/** Gives the writer back the records whose events the consumer took, and marks where a successor resumes. */
function release(): void {
  const taken = consumer?.taken ? consumer.taken() : Number.POSITIVE_INFINITY;
  let point: CommitPoint | undefined;
  while (pending.length > 0 && (pending[0] as CommitPoint).seq <= taken) point = pending.shift();
  if (point) reader.commit(point);
}

async function loop(): Promise<void> {
  let busyUntil = 0;
  while (!stopping) {
    const n = step();
    if (n === BATCH) {
      await yieldToLoop();
      continue;
    }
    const now = Date.now();
    if (n > 0 || pending.length > 0) busyUntil = now + BUSY_MS;
    // While records keep coming, poll on a timer instead of asking to be woken: a wake-up costs the
    // request thread a notify per record and this thread a turn per record; a poll takes a batch.
    // Idle, it sleeps until the writer wakes it.
    if (now < busyUntil) await sleep(POLL_MS);
    else await reader.wait(IDLE_WAIT_MS);
  }
}

function serialize(err: unknown): SerializedError {
  return {
    code: isSwitchyardError(err) ? err.code : undefined,
    message: err instanceof Error ? err.message : String(err),
    details: isSwitchyardError(err) ? err.details : undefined,
  };
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'forward':
      forwardFrom = m.from;
      forward();
      break;
    case 'stop-forwarding':
      forwardFrom = null;
      break;
    case 'configure':
      hub.configure(withWorkerRing(m.settings));
      break;
    case 'drain':
      void drain(m.id, m.timeoutMs);
      break;
    case 'flush':
      void flush(m.id, m.timeoutMs);
      break;
    case 'close':
      void close(m.id);
      break;
  }
});

/**
 * Builds what is in the hand-off and hands it to the consumer, until `end` (ms): when the consumer's
 * room runs out first, what it holds is handed on before more is built.
 */
async function buildAll(end: number): Promise<void> {
  while (Date.now() < end) {
    if (step() > 0) await yieldToLoop();
    else if (reader.unread) await consumer?.flush(Math.max(0, end - Date.now()));
    else break;
  }
  await consumer?.flush(Math.max(0, end - Date.now()));
}

/** Builds everything handed off so far and hands it to the consumer, within `timeoutMs`. */
async function drain(id: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  await buildAll(end).catch((err: unknown) => {
    logger.error({ err }, 'the event consumer did not take every event');
  });
  release();
  post({ type: 'drained', id });
}

/** Builds everything handed off so far and waits until the consumer delivered it, within `timeoutMs`. */
async function flush(id: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  try {
    await buildAll(end);
    await consumer?.settle?.(Math.max(0, end - Date.now()));
    release();
    post({ type: 'flushed', id, error: undefined });
  } catch (err) {
    post({ type: 'flushed', id, error: serialize(err) });
  }
}

async function close(id: number): Promise<void> {
  stopping = true;
  await consumer
    ?.close()
    .catch((err: unknown) => logger.error({ err }, 'the event consumer failed to close'));
  release();
  post({ type: 'closed', id });
}

try {
  if (init.consumer) {
    const mod = (await import(init.consumer.module)) as { attachEventConsumer: AttachEventConsumer };
    const stdout = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        post({ type: 'stdout', chunk: String(chunk) });
        done();
      },
    });
    consumer = await mod.attachEventConsumer({
      hub,
      data: init.consumer.data,
      logger,
      stdout,
      restarts: init.restarts,
    });
  }
  post({ type: 'ready', info: consumer?.info?.(), priority });
  void loop();
} catch (err) {
  post({ type: 'failed', error: serialize(err) });
}
