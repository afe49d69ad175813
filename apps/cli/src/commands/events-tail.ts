import { GatewayStreamSource, type StreamGap } from '@switchyard/event-proxy';
import {
  createLogger,
  EVENT_TYPES,
  type EventType,
  type LogLevel,
  SwitchyardError,
} from '@switchyard/shared';
import { request } from 'undici';
import { type Flag, parseFlags, stringFlag } from '../args/flags.js';
import type { CommandIO } from '../command.js';
import { formatEventLine } from '../tail/format.js';

export const TAIL_USAGE =
  'switchyard events tail --from URL [--token TOKEN] [--types request,response] [--format text|ndjson]';

interface TailArgs {
  url: string;
  token: string | undefined;
  types: EventType[] | undefined;
  format: 'text' | 'ndjson' | undefined;
}

export const TAIL_FLAGS: readonly Flag[] = [
  {
    long: 'from',
    type: 'string',
    value: 'URL',
    description: "The gateway's admin URL, e.g. http://127.0.0.1:8091 [GATEWAY_ADMIN_URL]",
  },
  {
    long: 'token',
    type: 'string',
    value: 'TOKEN',
    description: 'Bearer token of the admin API [GATEWAY_ADMIN_TOKEN]',
  },
  {
    long: 'types',
    type: 'string',
    value: 'LIST',
    description: `Event types to print, comma-separated (${EVENT_TYPES.join(', ')})`,
  },
  {
    long: 'format',
    type: 'string',
    value: 'text|ndjson',
    description: 'Output format [text on a terminal, else ndjson]',
  },
];

function parseTailArgs(args: readonly string[], env: NodeJS.ProcessEnv): TailArgs {
  const { values } = parseFlags('events tail', TAIL_FLAGS, args);
  const fail = (message: string) =>
    new SwitchyardError('SWY_INVALID_ARGUMENT', `${message}\nusage: ${TAIL_USAGE}`);
  const url = stringFlag(values, 'from') || env.GATEWAY_ADMIN_URL?.trim() || undefined;
  const token = stringFlag(values, 'token') || env.GATEWAY_ADMIN_TOKEN?.trim() || undefined;
  let types: EventType[] | undefined;
  const typesText = stringFlag(values, 'types');
  if (typesText !== undefined) {
    types = typesText
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean) as EventType[];
    const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
    if (unknown) throw fail(`--types: unknown event type "${unknown}" (expected ${EVENT_TYPES.join(', ')})`);
  }
  const f = stringFlag(values, 'format');
  if (f !== undefined && f !== 'text' && f !== 'ndjson')
    throw fail(`--format: expected text or ndjson, got "${f}"`);
  if (!url) throw fail('missing --from URL (the gateway admin URL, e.g. http://127.0.0.1:8091)');
  if (!/^https?:\/\//.test(url)) throw fail(`--from: expected an http(s) URL, got ${JSON.stringify(url)}`);
  return { url, token, types, format: f as TailArgs['format'] };
}

/**
 * One probe of the event stream first, so a wrong address or token is one clear error and an exit instead
 * of a stream that retries forever. A gateway that goes away later is waited for (the stream reconnects
 * and resumes).
 */
export async function preflight(url: string, token: string | undefined): Promise<string> {
  const events = `${url.replace(/\/+$/, '')}/__events`;
  let status: number;
  let contentType: string;
  try {
    const res = await request(`${events}?from=now`, {
      headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      headersTimeout: 5000,
    });
    status = res.statusCode;
    contentType = String(res.headers['content-type'] ?? '');
    // Only the answer's head was wanted: the stream itself is read by the source.
    res.body.on('error', () => {}).destroy();
  } catch (err) {
    throw new SwitchyardError('SWY_SOURCE_UNAVAILABLE', `cannot reach ${events}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (status === 401 || status === 403) {
    throw new SwitchyardError(
      'SWY_UNAUTHORIZED',
      `${events} answered ${status}: ${token ? 'the token was refused' : 'the admin API needs --token'}`,
    );
  }
  if (status !== 200 || !contentType.startsWith('text/event-stream')) {
    throw new SwitchyardError(
      'SWY_SOURCE_NOT_EVENT_STREAM',
      `${events} answered ${status} ${contentType || 'without a content type'}, not an event stream: --from ` +
        "takes the gateway's admin API (default http://127.0.0.1:8091), not its public port",
    );
  }
  return events;
}

/**
 * `switchyard events tail`: prints the gateway's live event stream (`/__events?from=now`) until stopped —
 * one readable line per event on a terminal, NDJSON (one envelope per line) when piped. A dropped
 * connection is resumed after the last event printed; events the gateway no longer had are reported on
 * stderr.
 */
export async function tailEvents(args: readonly string[], io: CommandIO): Promise<number> {
  const { url, token, types, format } = parseTailArgs(args, io.env);
  const text = format ? format === 'text' : (io.stdout as { isTTY?: boolean }).isTTY === true;
  const logger = createLogger({
    name: 'switchyard-tail',
    level: (io.env.LOG_LEVEL?.toLowerCase() as LogLevel | undefined) ?? 'warn',
    destination: io.stderr,
  });
  const events = await preflight(url, token);
  const source = new GatewayStreamSource({
    url,
    ...(token !== undefined && { token }),
    ...(types !== undefined && { types }),
    startAt: 'now',
    logger,
    onEvents: async (events) => {
      let out = '';
      for (const e of events) out += `${text ? formatEventLine(e) : JSON.stringify(e)}\n`;
      if (!io.stdout.write(out)) await new Promise<void>((resolve) => io.stdout.once('drain', resolve));
    },
    onConnected: () => io.stderr.write(`switchyard events tail: connected to ${events}\n`),
    onGap: (gap: StreamGap) => {
      io.stderr.write(
        `switchyard events tail: ${gap.exact ? '' : 'at least '}${gap.missed} events were no longer held by the gateway\n`,
      );
    },
  });
  source.start();
  await io.stopSignal;
  await source.stop();
  return 0;
}
