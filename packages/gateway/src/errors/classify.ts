import { isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { backendError } from './status.js';

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

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
    const { host } = new URL(url);
    const reason = code === 'ECONNREFUSED' ? 'connect: connection refused' : 'no such host';
    return backendError('SWY_BACKEND_REFUSED', `${prefix}: dial tcp ${host}: ${reason}`, { url, code }, err);
  }
  if (TIMEOUT.has(code))
    return backendError('SWY_BACKEND_TIMEOUT', 'context deadline exceeded', { url, code }, err);
  const reason = code === 'ECONNRESET' ? 'read: connection reset by peer' : 'EOF';
  return backendError('SWY_BACKEND_RESET', `${prefix}: ${reason}`, { url, code }, err);
}
