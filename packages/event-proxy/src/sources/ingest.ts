import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { bearerCheck, type Envelope, readBody, SwitchyardError } from '@switchyard/shared';
import { Gauge } from 'prom-client';
import type { ProxyMetrics } from '../admin/metrics.js';
import { sendJson } from '../listener/respond.js';
import type { Route } from '../listener/server.js';
import type { IntakeResult } from '../pipeline/intake.js';
import { type BodyItem, splitBody } from './body-items.js';
import { InFlightBytes } from './in-flight-bytes.js';
import { kongLogProblems, mapKongLogEntry } from './kong-http-log.js';
import {
  envelopeItemProblems,
  type ItemProblem,
  itemProblem,
  MAX_LISTED_PROBLEMS,
  ProblemList,
} from './validate.js';

export interface IngestDeps {
  accept(events: readonly Envelope[], source: string): Promise<IntakeResult>;
  metrics: ProxyMetrics;
  /** False: both routes answer 404 SWY_INGEST_OFF. */
  enabled: boolean;
  /** When set, both routes require `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes: number;
  /** Request bytes all ingest requests may hold at once (503 SWY_INGEST_BUSY beyond, nothing taken). */
  maxInFlightBytes: number;
  /** Most items per request (413 SWY_INGEST_TOO_MANY_ITEMS beyond, nothing taken). */
  maxItems: number;
  /** The node id of Kong events whose payload carries none. */
  kongNodeId(): string;
}

/** The events made of one valid item, or its problems. */
type Converted =
  | { events: Envelope[]; problems?: undefined }
  | { events?: undefined; problems: ItemProblem[] };

// Items (or NDJSON bytes) checked between two turns of the event loop: other requests (/healthz, other
// producers) are served while a large body is checked, be it made of many small items or a few large ones.
const ITEMS_PER_TURN = 500;
const BYTES_PER_TURN = 256 * 1024;

const BUSY_RETRY_AFTER_MS = 1000;

/**
 * Runs `work` with the request's bytes taken from the in-flight budget: its Content-Length, or the body
 * bound for a chunked body whose size is known only once read. 503 SWY_INGEST_BUSY when they do not fit.
 */
async function withinBudget(
  req: IncomingMessage,
  deps: IngestDeps,
  budget: InFlightBytes,
  work: () => Promise<void>,
): Promise<void> {
  const declared = Number(req.headers['content-length']);
  const bytes = Number.isFinite(declared) ? Math.min(declared, deps.maxBodyBytes) : deps.maxBodyBytes;
  if (!budget.take(bytes)) {
    throw new SwitchyardError(
      'SWY_INGEST_BUSY',
      `ingest already holds ${budget.inFlight} of its ${budget.max} in-flight bytes (EVENT_INGEST_MAX_IN_FLIGHT_BYTES); nothing was taken: send again later`,
      { details: { retryAfterMs: BUSY_RETRY_AFTER_MS } },
    );
  }
  try {
    await work();
  } finally {
    budget.give(bytes);
  }
}

/**
 * Reads and splits the body, converts its items (yielding to the event loop as it goes), hands the valid
 * events on, and answers: 202 when every item was valid; 400 listing the first problems (index, line, id,
 * pointer, reason) with their total and the count of valid items accepted all the same; 413 past the size
 * or item bound (nothing taken); 503 with Retry-After when the queue cannot take them (nothing taken).
 */
async function ingest(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IngestDeps,
  source: string,
  convert: (item: BodyItem) => Converted,
): Promise<void> {
  const body = await readBody(req, deps.maxBodyBytes);
  const split = splitBody(body, req.headers['content-type'], deps.maxItems);
  const events: Envelope[] = [];
  const problems = new ProblemList(MAX_LISTED_PROBLEMS);
  let refused = 0;
  let items = 0;
  let bytes = 0;
  for (const entry of split.entries()) {
    if (items >= ITEMS_PER_TURN || bytes >= BYTES_PER_TURN) {
      items = 0;
      bytes = 0;
      await nextTurn();
      // The producer gave up: nothing was taken, and no one reads the answer.
      if (res.destroyed) return;
    }
    items++;
    bytes += (entry.kind === 'item' ? entry.item.bytes : entry.bytes) ?? 0;
    const converted =
      entry.kind === 'item'
        ? convert(entry.item)
        : { problems: [{ index: entry.index, line: entry.line, pointer: '', reason: entry.reason }] };
    if (converted.problems) {
      refused++;
      problems.add(converted.problems);
    } else {
      for (const event of converted.events) events.push(event);
    }
  }
  if (refused > 0) deps.metrics.invalid.inc({ source }, refused);
  const result =
    events.length > 0 ? await deps.accept(events, source) : { accepted: 0, filtered: 0, dropped: 0 };
  const total = split.count;
  // accepted: valid items the producer need not send again; events: envelopes made of them (two per Kong
  // entry); queued/filtered/dropped/dead_lettered: what became of those events (dead_lettered only when
  // some could not be serialized, so a producer never reads 202 with events gone unaccounted).
  const counts = {
    accepted: total - refused,
    events: events.length,
    queued: result.accepted,
    filtered: result.filtered,
    dropped: result.dropped,
    ...(result.deadLettered !== undefined && { dead_lettered: result.deadLettered }),
  };
  if (refused === 0) {
    sendJson(res, 202, counts);
    return;
  }
  const listed =
    problems.total > problems.listed.length
      ? `; the first ${problems.listed.length} of ${problems.total} problems are listed`
      : '';
  sendJson(res, 400, {
    error: {
      code: 'SWY_INVALID_EVENT',
      message: `${refused} of ${total} items are invalid; the ${total - refused} valid ones were accepted${listed}`,
    },
    ...counts,
    invalid: refused,
    problems_total: problems.total,
    problems: problems.listed,
  });
}

function convertEnvelope(item: BodyItem): Converted {
  const problems = envelopeItemProblems(item);
  return problems.length > 0 ? { problems } : { events: [item.value as Envelope] };
}

function convertKong(item: BodyItem, nodeId: string): Converted {
  const requestId = (item.value as { request?: { id?: unknown } } | null)?.request?.id;
  const found = kongLogProblems(item.value);
  if (found.length > 0)
    return { problems: found.map((p) => itemProblem(item, p.pointer, p.reason, requestId)) };
  const pair = mapKongLogEntry(item.value as Parameters<typeof mapKongLogEntry>[0], { nodeId });
  // The mapping is checked like any producer's events, so a Kong oddity is reported, not forwarded.
  const problems = pair.flatMap((value) => envelopeItemProblems({ ...item, value }));
  if (problems.length > 0)
    return { problems: problems.map((p) => ({ ...p, reason: `mapped event: ${p.reason}` })) };
  return { events: pair };
}

/** Refuses a request before its body is read: ingest turned off, or no valid bearer token. */
function gate(deps: IngestDeps): (req: IncomingMessage) => void {
  const authorized = deps.token === undefined ? undefined : bearerCheck(deps.token);
  return (req) => {
    if (!deps.enabled) {
      throw new SwitchyardError('SWY_INGEST_OFF', 'ingest is turned off (EVENT_PROXY_INGEST=off)');
    }
    if (authorized && !authorized(req.headers.authorization)) {
      throw new SwitchyardError(
        'SWY_INGEST_UNAUTHORIZED',
        'ingest requires Authorization: Bearer <EVENT_PROXY_TOKEN>',
      );
    }
  };
}

/** `POST /events` (envelopes: one, an array, or NDJSON) and `POST /kong/http-log` (Kong's http-log payload). */
export function ingestRoutes(deps: IngestDeps): Route[] {
  const check = gate(deps);
  const budget = new InFlightBytes(deps.maxInFlightBytes);
  new Gauge({
    name: 'switchyard_ingest_in_flight_bytes',
    help: 'Request bytes ingest holds now (of EVENT_INGEST_MAX_IN_FLIGHT_BYTES)',
    registers: [deps.metrics.registry],
    collect() {
      this.set(budget.inFlight);
    },
  });
  return [
    {
      method: 'POST',
      path: '/events',
      handle: async (req, res) => {
        check(req);
        await withinBudget(req, deps, budget, () => ingest(req, res, deps, 'http', convertEnvelope));
      },
    },
    {
      method: 'POST',
      path: '/kong/http-log',
      handle: async (req, res) => {
        check(req);
        await withinBudget(req, deps, budget, () =>
          ingest(req, res, deps, 'kong_http_log', (item) => convertKong(item, deps.kongNodeId())),
        );
      },
    },
  ];
}
