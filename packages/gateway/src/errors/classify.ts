import { isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { backendError } from './status.js';

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Go's words for a connect(2) failure; the other REFUSED codes are name lookups. */
const DIAL_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
};
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** undici refused to build the request (a header or option it does not accept): nothing was sent. */
const UNBUILDABLE = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/** What Go's net/http client reports before the reason: `Get "http://host/path"`. */
export function goRequestPrefix(method: string, url: string): string {
  return `${method.charAt(0)}${method.slice(1).toLowerCase()} ${JSON.stringify(url)}`;
}

/**
 * Turns what undici or the socket reported into a backend failure with a SWY_BACKEND_* code, worded as
 * Go's client words it (the text `router.return_error_msg` shows, as KrakenD shows it).
 */
export function classifyBackendError(err: unknown, url: string, method: string): SwitchyardError {
  if (isSwitchyardError(err)) return err;
  const code = (err as { code?: string } | null)?.code ?? '';
  const prefix = goRequestPrefix(method, url);
  if (REFUSED.has(code)) {
    const { hostname, port, protocol } = new URL(url);
    const reason = DIAL_REASONS[code];
    // Go names the address it dialled: the resolved IP (Node's error carries it) and the port.
    const at = err as { address?: string; port?: number };
    const ip = at.address ?? hostname.replace(/^\[|\]$/g, '');
    const dialled = `${ip.includes(':') ? `[${ip}]` : ip}:${at.port ?? (port || (protocol === 'https:' ? 443 : 80))}`;
    const text = reason
      ? `${prefix}: dial tcp ${dialled}: connect: ${reason}`
      : `${prefix}: dial tcp: lookup ${hostname.replace(/^\[|\]$/g, '')}: no such host`;
    return backendError('SWY_BACKEND_REFUSED', text, { url, code }, err);
  }
  if (UNBUILDABLE.has(code)) {
    const reason = err instanceof Error ? err.message : String(err);
    return backendError(
      'SWY_BACKEND_REQUEST_INVALID',
      `the request to backend ${url} could not be built: ${reason}`,
      { url, code },
      err,
    );
  }
  if (TIMEOUT.has(code))
    return backendError('SWY_BACKEND_TIMEOUT', 'context deadline exceeded', { url, code }, err);
  const reason = code === 'ECONNRESET' ? 'read: connection reset by peer' : 'EOF';
  return backendError('SWY_BACKEND_RESET', `${prefix}: ${reason}`, { url, code }, err);
}
