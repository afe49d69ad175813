import { isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { backendError } from './status.js';

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Turns what undici or the socket reported into a backend failure with a SWY_BACKEND_* code. */
export function classifyBackendError(err: unknown, url: string): SwitchyardError {
  if (isSwitchyardError(err)) return err;
  const code = (err as { code?: string } | null)?.code ?? '';
  const reason = err instanceof Error ? err.message : String(err);
  if (REFUSED.has(code))
    return backendError(
      'SWY_BACKEND_REFUSED',
      `backend ${url} refused the connection (${code})`,
      { url },
      err,
    );
  if (TIMEOUT.has(code))
    return backendError('SWY_BACKEND_TIMEOUT', `backend ${url} timed out (${code})`, { url }, err);
  return backendError('SWY_BACKEND_RESET', `backend ${url} closed the connection: ${reason}`, { url }, err);
}
