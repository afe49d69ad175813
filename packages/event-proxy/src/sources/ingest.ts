import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Envelope, readBody } from '@switchyard/shared';
import type { ProxyMetrics } from '../admin/metrics.js';
import { sendJson } from '../listener/respond.js';
import type { Route } from '../listener/server.js';
import type { IntakeResult } from '../pipeline/intake.js';
import { type BodyItem, bodyItems } from './body-items.js';
import { kongLogProblems, mapKongLogEntry } from './kong-http-log.js';
import { type ItemProblem, itemProblem, validateEnvelopes } from './validate.js';

export interface IngestDeps {
  accept(events: readonly Envelope[], source: string): Promise<IntakeResult>;
  metrics: ProxyMetrics;
  maxBodyBytes: number;
  /** The node id of Kong events whose payload carries none. */
  kongNodeId(): string;
}

interface Converted {
  events: Envelope[];
  problems: ItemProblem[];
  /** Items (not problems) that were refused. */
  badItems: number;
}

const countItems = (problems: readonly ItemProblem[]) => new Set(problems.map((p) => p.index)).size;

/**
 * Reads and splits the body, converts its items, hands the valid events on, and answers: 202 when every
 * item was valid; 400 listing each problem (index, line, id, pointer, reason) with the count of valid
 * items accepted all the same; 413 past the size bound; 503 with Retry-After when the queue is full.
 */
async function ingest(
  req: IncomingMessage,
  res: ServerResponse,
  deps: IngestDeps,
  source: string,
  convert: (items: BodyItem[]) => Converted,
): Promise<void> {
  const body = await readBody(req, deps.maxBodyBytes);
  const parsed = bodyItems(body, req.headers['content-type']);
  const { events, problems, badItems } = convert(parsed.items);
  for (const u of parsed.unparsable)
    problems.unshift({ index: u.index, line: u.line, pointer: '', reason: u.reason });
  const refused = badItems + parsed.unparsable.length;
  if (refused > 0) deps.metrics.invalid.inc({ source }, refused);
  const result =
    events.length > 0 ? await deps.accept(events, source) : { accepted: 0, filtered: 0, dropped: 0 };
  const total = parsed.items.length + parsed.unparsable.length;
  // accepted: valid items the producer need not send again; events: envelopes made of them (two per Kong
  // entry); queued/filtered/dropped: what became of those events.
  const counts = {
    accepted: total - refused,
    events: events.length,
    queued: result.accepted,
    filtered: result.filtered,
    dropped: result.dropped,
  };
  if (refused === 0) {
    sendJson(res, 202, counts);
    return;
  }
  problems.sort((a, b) => a.index - b.index);
  sendJson(res, 400, {
    error: {
      code: 'SWY_INVALID_EVENT',
      message: `${refused} of ${total} items are invalid; the ${total - refused} valid ones were accepted`,
    },
    ...counts,
    problems,
  });
}

function convertEnvelopes(items: BodyItem[]): Converted {
  const { valid, problems } = validateEnvelopes(items);
  return { events: valid, problems, badItems: countItems(problems) };
}

function convertKong(items: BodyItem[], nodeId: string): Converted {
  const events: Envelope[] = [];
  const problems: ItemProblem[] = [];
  for (const item of items) {
    const requestId = (item.value as { request?: { id?: unknown } } | null)?.request?.id;
    const found = kongLogProblems(item.value);
    if (found.length > 0) {
      for (const p of found) problems.push(itemProblem(item, p.pointer, p.reason, requestId));
      continue;
    }
    const pair = mapKongLogEntry(item.value as Parameters<typeof mapKongLogEntry>[0], { nodeId });
    // The mapping is checked like any producer's events, so a Kong oddity is reported, not forwarded.
    const checked = validateEnvelopes(pair.map((value) => ({ ...item, value })));
    if (checked.problems.length > 0) {
      for (const p of checked.problems) problems.push({ ...p, reason: `mapped event: ${p.reason}` });
      continue;
    }
    events.push(...checked.valid);
  }
  return { events, problems, badItems: countItems(problems) };
}

/** `POST /events` (envelopes: one, an array, or NDJSON) and `POST /kong/http-log` (Kong's http-log payload). */
export function ingestRoutes(deps: IngestDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/events',
      handle: (req, res) => ingest(req, res, deps, 'http', convertEnvelopes),
    },
    {
      method: 'POST',
      path: '/kong/http-log',
      handle: (req, res) =>
        ingest(req, res, deps, 'kong_http_log', (items) => convertKong(items, deps.kongNodeId())),
    },
  ];
}
