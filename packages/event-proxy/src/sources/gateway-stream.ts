import {
  type Envelope,
  type EventType,
  envelopeProblems,
  type Logger,
  SwitchyardError,
} from '@switchyard/shared';
import { Pool } from 'undici';
import { type BackoffOptions, backoffDelay, sleep } from '../pipeline/backoff.js';

/** One Server-Sent Events message. */
export interface SseMessage {
  /** The `id:` field of this message, if it had one. */
  id: string | undefined;
  /** The `event:` field (`message` when absent). */
  event: string;
  data: string;
}

// A line longer than this is not something the gateway sends: the stream is broken, reconnect.
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * An incremental Server-Sent Events parser (the WHATWG rules): lines end with LF, CRLF or CR, also when a
 * CRLF is split across chunks; `data:` lines of one message are joined with LF; comments are skipped; a
 * message is dispatched at the empty line that ends it, and only if it had data.
 */
export class SseParser {
  private buffer = '';
  private skipLeadingLF = false;
  private started = false;
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  feed(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLF && text.length > 0) {
      this.skipLeadingLF = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    const buf = this.buffer + text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(buf.slice(start, i), out);
      if (c === 13) {
        if (i + 1 === buf.length) this.skipLeadingLF = true;
        else if (buf.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = buf.slice(start);
    if (this.buffer.length > MAX_LINE_CHARS) {
      throw new SwitchyardError('SWY_SOURCE_UNAVAILABLE', 'event stream: a line exceeds 16 MiB');
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.data.length > 0)
        out.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.event = '';
      this.id = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment (heartbeats)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

/** The gateway's gap event: events after `from` that the gateway no longer holds. */
export interface StreamGap {
  missed: number;
  from: string | null;
  oldest: string | null;
  /** False when `missed` is a lower bound (the gateway restarted or paused recording). */
  exact: boolean;
}

export interface GatewayStreamSourceOptions {
  /** The gateway's admin base URL (GATEWAY_ADMIN_URL); the stream is `<url>/__events`. */
  url: string;
  /** Bearer token of the gateway admin API. */
  token?: string;
  /** Resume after this event id (the proxy's persisted cursor). Without it, see `startAt`. */
  lastId?: string;
  /** Without `lastId`: the gateway's whole ring (`oldest`, the default) or only new events (`now`). */
  startAt?: 'oldest' | 'now';
  /**
   * Takes a batch; resolves once the proxy holds it durably. Only then does the cursor move past it. A
   * rejection is retried with backoff while the stream stays paused.
   */
  onEvents: (events: Envelope[]) => Promise<void>;
  /** Told each new cursor once onEvents confirmed up to it, so the proxy can persist it as it goes. */
  onCursor?: (id: string) => void;
  /** Told when the gateway no longer had events this source had not seen (they are lost). */
  onGap?: (gap: StreamGap) => void | Promise<void>;
  /** Told each time the stream opened (the gateway answered 200): at the first connection and each reconnect. */
  onConnected?: () => void;
  logger: Logger;
  /** Asks the gateway for these types only. */
  types?: readonly EventType[];
  /** Reconnect and retry delays. */
  backoff?: BackoffOptions;
  /** No byte for this long (the gateway sends a heartbeat every 15 s) → reconnect. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Most events per onEvents call. */
  maxBatch?: number;
}

export const GATEWAY_STREAM_DEFAULTS = {
  backoff: { initialMs: 250, maxMs: 30_000 },
  idleTimeoutMs: 45_000,
  connectTimeoutMs: 10_000,
  maxBatch: 500,
} as const;

class Stopped extends Error {}

/**
 * Reads the gateway's `GET /__events` stream. It hands events on in the order received, advances its
 * cursor only after onEvents resolved, and on any failure (connection lost, HTTP error, idle stream)
 * reconnects with exponential backoff and jitter, resuming with `Last-Event-ID` = its cursor: a reconnect
 * loses nothing and re-sends only events not yet confirmed. While onEvents is pending the response body is
 * not read, so TCP flow control slows the gateway down instead of this process buffering.
 */
export class GatewayStreamSource {
  readonly name = 'gateway-stream';
  private confirmed: string | undefined;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly backoff: BackoffOptions;
  private readonly maxBatch: number;
  private readonly stopping = new AbortController();
  private request: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly o: GatewayStreamSourceOptions) {
    const base = new URL(o.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new SwitchyardError('SWY_INVALID_ARGUMENT', `gateway admin URL must be http(s): ${o.url}`);
    }
    this.path = `${base.pathname.replace(/\/+$/, '')}/__events`;
    this.confirmed = o.lastId || undefined;
    this.backoff = o.backoff ?? GATEWAY_STREAM_DEFAULTS.backoff;
    this.maxBatch = o.maxBatch ?? GATEWAY_STREAM_DEFAULTS.maxBatch;
    const connectTimeout = o.connectTimeoutMs ?? GATEWAY_STREAM_DEFAULTS.connectTimeoutMs;
    this.pool = new Pool(base.origin, {
      connections: 1,
      connect: { timeout: connectTimeout },
      headersTimeout: connectTimeout,
      bodyTimeout: o.idleTimeoutMs ?? GATEWAY_STREAM_DEFAULTS.idleTimeoutMs,
    });
  }

  /** The id of the last event onEvents confirmed (where a restart resumes). */
  get cursor(): string | undefined {
    return this.confirmed;
  }

  private get isStopping(): boolean {
    return this.stopping.signal.aborted;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops reading; resolves after a pending onEvents settled, so `cursor` is final. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping.abort();
      this.request?.abort();
      await this.loop;
      await this.pool.close();
    })();
    return this.stopPromise;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.isStopping) {
      let progressed = false;
      try {
        await this.readStream(() => {
          progressed = true;
        });
        if (!this.isStopping) this.o.logger.info('gateway event stream ended; reconnecting');
      } catch (err) {
        if (this.isStopping || err instanceof Stopped) break;
        this.o.logger.warn({ err, url: this.o.url, cursor: this.confirmed }, 'gateway event stream failed');
      }
      if (progressed) attempt = 0;
      await sleep(backoffDelay(attempt++, this.backoff), this.stopping.signal);
    }
  }

  private async readStream(onProgress: () => void): Promise<void> {
    const request = new AbortController();
    this.request = request;
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    const query = new URLSearchParams();
    if (this.confirmed) headers['last-event-id'] = this.confirmed;
    else query.set('from', this.o.startAt ?? 'oldest');
    if (this.o.types?.length) query.set('types', this.o.types.join(','));
    const qs = query.toString();
    const { statusCode, body } = await this.pool.request({
      method: 'GET',
      path: qs ? `${this.path}?${qs}` : this.path,
      headers,
      signal: request.signal,
    });
    if (statusCode !== 200) {
      const text = (await body.text().catch(() => '')).slice(0, 500);
      throw new SwitchyardError('SWY_SOURCE_UNAVAILABLE', `GET ${this.path}: HTTP ${statusCode} ${text}`, {
        details: { status: statusCode },
      });
    }
    this.o.onConnected?.();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of body) {
      onProgress();
      await this.handle(parser.feed(decoder.decode(chunk as Buffer, { stream: true })));
    }
  }

  private async handle(messages: SseMessage[]): Promise<void> {
    let batch: Envelope[] = [];
    let lastId: string | undefined;
    for (const m of messages) {
      if (m.event === 'gap') {
        await this.deliver(batch, lastId);
        batch = [];
        lastId = undefined;
        await this.gap(m.data);
        continue;
      }
      const event = this.parse(m);
      lastId = m.id ?? (event as { id?: string } | undefined)?.id ?? lastId;
      if (!event) continue;
      batch.push(event);
      if (batch.length >= this.maxBatch) {
        await this.deliver(batch, lastId);
        batch = [];
        lastId = undefined;
      }
    }
    await this.deliver(batch, lastId);
  }

  private parse(m: SseMessage): Envelope | undefined {
    let value: unknown;
    try {
      value = JSON.parse(m.data);
    } catch {
      this.o.logger.error({ id: m.id, event: m.event }, 'gateway event stream: data is not JSON; skipped');
      return undefined;
    }
    const problems = envelopeProblems(value);
    if (problems.length > 0) {
      this.o.logger.error({ id: m.id, problems }, 'gateway event stream: not a valid envelope; skipped');
      return undefined;
    }
    return value as Envelope;
  }

  /** Hands a batch on, retrying in place until accepted; then moves the cursor to `lastId`. */
  private async deliver(events: Envelope[], lastId: string | undefined): Promise<void> {
    for (let attempt = 0; events.length > 0; attempt++) {
      try {
        await this.o.onEvents(events);
        break;
      } catch (err) {
        if (this.isStopping) throw new Stopped();
        const delay = backoffDelay(attempt, this.backoff);
        this.o.logger.warn(
          { err, events: events.length, retry_in_ms: delay },
          'events not accepted; retrying',
        );
        await sleep(delay, this.stopping.signal);
        if (this.isStopping) throw new Stopped();
      }
    }
    if (lastId === undefined || lastId === this.confirmed) return;
    this.confirmed = lastId;
    this.o.onCursor?.(lastId);
  }

  private async gap(data: string): Promise<void> {
    let gap: StreamGap;
    try {
      gap = JSON.parse(data) as StreamGap;
    } catch {
      gap = { missed: 0, from: this.confirmed ?? null, oldest: null, exact: false };
    }
    this.o.logger.warn({ ...gap }, 'the gateway no longer had some events: they are lost');
    await this.o.onGap?.(gap);
  }
}
