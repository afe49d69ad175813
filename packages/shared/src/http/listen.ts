import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwitchyardError } from '../errors/switchyard-error.js';

/**
 * Starts `server` listening on `host:port` and resolves with the bound address; a busy port or an address
 * the host does not have rejects with SWY_LISTEN_FAILED naming `what` and the address (not a bare EADDRINUSE).
 */
export function listenOrFail(server: Server, port: number, host: string, what: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        new SwitchyardError('SWY_LISTEN_FAILED', `${what} on ${host}:${port}: ${err.message}`, {
          cause: err,
        }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
