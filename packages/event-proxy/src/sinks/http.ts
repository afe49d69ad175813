import type { HttpTarget } from '@switchyard/config';
import { type Envelope, isSwitchyardError, SwitchyardError, VERSION } from '@switchyard/shared';
import { Pool } from 'undici';
import { backoffDelay } from '../pipeline/backoff.js';
import { resendWithin } from './resend.js';
import { parseRetryAfter } from './retry-after.js';
import { jsonArray, ndjson, serializeEach } from './serialize.js';
import type { SendResult, Sink, SinkRetryListener } from './sink.js';

// One delivery loop sends one batch at a time; a few connections cover a reconnect racing a slow close.
const MAX_CONNECTIONS = 4;
const ERROR_BODY_BYTES = 512;
// Pauses between the tries of one send; the pipeline's own backoff takes over after `retry_max` of them.
const RESEND = { initialMs: 50, maxMs: 1000 };

const TIMEOUT_ERRORS = new Set([
  'ConnectTimeoutError',
  'HeadersTimeoutError',
  'BodyTimeoutError',
  'TimeoutError',
  'AbortError',
]);

async function bodySnippet(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= ERROR_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8');
}

/**
 * Posts each batch to an HTTP endpoint as a JSON array or NDJSON. 2xx confirms the batch; network
 * errors, timeouts, 5xx, 408 and 429 are retryable; any other status is a permanent refusal
 * (SWY_SINK_REJECTED) and the batch goes to the dead-letter file. A retryable failure is tried again
 * within the send up to `retry_max` times after a short pause (a keep-alive connection the target had
 * just closed costs one quick resend, not a backoff and a warning); then, or at once when the target
 * sent Retry-After, the failure goes to the pipeline, which keeps the batch and retries it with backoff.
 */
export class HttpSink implements Sink {
  readonly name = 'http';
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private reachable = true;
  private readonly closing = new AbortController();

  constructor(
    private readonly config: HttpTarget,
    private readonly options: { onRetry?: SinkRetryListener } = {},
  ) {
    const url = new URL(config.url);
    this.path = `${url.pathname}${url.search}`;
    this.headers = {
      'content-type': config.format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      'user-agent': `switchyard-event-proxy/${VERSION}`,
      ...(url.username
        ? {
            authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`,
          }
        : {}),
      ...config.headers,
    };
    this.pool = new Pool(url.origin, {
      connections: MAX_CONNECTIONS,
      connectTimeout: config.timeout_ms,
      headersTimeout: config.timeout_ms,
      bodyTimeout: config.timeout_ms,
    });
  }

  async start(): Promise<void> {}

  ready(): boolean {
    return this.reachable;
  }

  async send(batch: readonly Envelope[]): Promise<SendResult> {
    const { lines, rejected } = serializeEach(batch);
    if (lines.length === 0) return { rejected };
    const body = this.config.format === 'ndjson' ? ndjson(lines) : jsonArray(lines);
    await resendWithin(
      () => this.post(body),
      (err) => err as SwitchyardError,
      {
        retryMax: this.config.retry_max,
        closing: this.closing.signal,
        // A Retry-After is the target's to set: the pipeline's backoff honours it.
        pause: (e, attempt) =>
          e.details?.retryAfterMs === undefined ? backoffDelay(attempt, RESEND) : undefined,
        onRetry: () => this.options.onRetry?.(batch.length),
      },
    );
    return { rejected };
  }

  /** One request with the batch; resolves on 2xx, throws a SwitchyardError otherwise. */
  private async post(body: Buffer): Promise<void> {
    try {
      const res = await this.pool.request({
        path: this.path,
        method: this.config.method,
        headers: this.headers,
        body,
        // The whole exchange, not only each phase, is bounded by the timeout.
        signal: AbortSignal.timeout(this.config.timeout_ms),
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump();
        this.reachable = true;
        return;
      }
      const snippet = await bodySnippet(res.body).catch(() => '');
      const details = { status: res.statusCode, body: snippet };
      const status = res.statusCode;
      if (status === 408 || status === 429 || status >= 500) {
        this.reachable = false;
        throw new SwitchyardError('SWY_SINK_UNAVAILABLE', `HTTP sink answered ${status}`, {
          details: { ...details, retryAfterMs: parseRetryAfter(res.headers['retry-after']) },
        });
      }
      this.reachable = true;
      throw new SwitchyardError('SWY_SINK_REJECTED', `HTTP sink refused the batch with ${status}`, {
        details,
      });
    } catch (err) {
      if (isSwitchyardError(err)) throw err;
      this.reachable = false;
      const e = err as Error;
      if (TIMEOUT_ERRORS.has(e.name)) {
        throw new SwitchyardError(
          'SWY_SINK_TIMEOUT',
          `HTTP sink did not answer within ${this.config.timeout_ms} ms`,
          { cause: err },
        );
      }
      const code = (err as { code?: string }).code;
      const why = code && !e.message.includes(code) ? `${code} ${e.message}` : e.message;
      throw new SwitchyardError('SWY_SINK_UNAVAILABLE', `HTTP sink unreachable: ${why}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    // A send still under way at close time is abandoned (its batch stays queued), not awaited.
    this.closing.abort();
    await this.pool.destroy();
  }
}
