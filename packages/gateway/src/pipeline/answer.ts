import type { OutgoingHttpHeaders } from 'node:http';
import { redactUrlsIn, sensitiveQueryNames } from '@switchyard/shared';
import { hasKeys } from '../backend/decode.js';
import type { Render } from '../encode/render.js';
import { BackendStatusError, ClientStatusError, failureStatus, MergeError } from '../errors/status.js';
import { hasStatusCode } from '../plugins/modules/failure.js';
import type { Exchange } from '../request/exchange.js';
import type { ProxyResult } from './types.js';

/** KrakenD's completion header, under its name so clients written for KrakenD read it unchanged. */
export const COMPLETED_HEADER = 'X-Krakend-Completed';

export interface AnswerOptions {
  versionHeader: string;
  /** `public, max-age=N` from cache_ttl, null when 0. */
  cacheControl: string | null;
  /** `router.return_error_msg` */
  returnErrorMsg: boolean;
  /** `switchyard/errors` `transport_statuses`: 502/503/504 instead of KrakenD's 500. */
  transportStatuses: boolean;
}

/** The headers every endpoint answer carries; Completed turns true only for complete data. */
export function ownHeaders(versionHeader: string): OutgoingHttpHeaders {
  return { 'X-Switchyard': versionHeader, [COMPLETED_HEADER]: 'false' };
}

/**
 * The answer when no data could be built, as lura's endpoint handler writes it: the error's own status
 * (`return_error_code`) or 500; with `return_error_msg` the error text as the body, typed by the
 * backend's Content-Type when the error carries one, else as Go's sniffing types text (and an empty
 * body gets no Content-Type).
 */
export function answerFailure(
  x: Exchange,
  error: Error,
  headers: OutgoingHttpHeaders,
  o: Pick<AnswerOptions, 'returnErrorMsg' | 'transportStatuses'>,
): void {
  const status = failureStatus(error, o.transportStatuses);
  if (!o.returnErrorMsg || error.message === '') {
    x.send(status, headers, null, false);
    return;
  }
  headers['Content-Type'] =
    (error instanceof BackendStatusError && error.forward) || error instanceof ClientStatusError
      ? error.contentType || 'text/plain; charset=utf-8'
      : hasStatusCode(error) && error.contentType
        ? error.contentType
        : 'text/plain; charset=utf-8';
  x.send(status, headers, error.message, false);
}

/**
 * Answers as lura's endpoint handler does: data (even partial, even with errors) is rendered with 200;
 * `X-Krakend-Completed: true` and Cache-Control only for complete, non-empty data; no data at all is a
 * failure.
 */
export function answer(
  x: Exchange,
  { response, error }: ProxyResult,
  render: Render,
  o: AnswerOptions,
): void {
  if (error) logFailure(x, error);
  const headers = ownHeaders(o.versionHeader);
  if (response && hasKeys(response.data) && response.complete) {
    headers[COMPLETED_HEADER] = 'true';
    if (o.cacheControl) headers['Cache-Control'] = o.cacheControl;
  }
  if (error && !response) answerFailure(x, error, headers, o);
  else render(x, response, headers);
}

// A backend error names the URL it called, with the client's query and the url_pattern's own keys.
const HIDE_QUERY = sensitiveQueryNames();

/** Backend failures are logged once per request (not when the client had already gone), secrets hidden. */
export function logFailure(x: Exchange, error: Error): void {
  if (x.res.destroyed) return;
  const errors = error instanceof MergeError ? error.errors : [error];
  const texts = errors.map((e) => redactUrlsIn(e.message, HIDE_QUERY));
  x.log().warn({ path: x.path, errors: texts }, 'backend failure');
}
