import { type ListenAddress, parseListenAddress } from '@switchyard/shared';

/**
 * The proxy listener's `host:port`. An empty host (`:8095`) means loopback, as for the gateway's admin
 * listener: ingest takes events from anyone who reaches it, so binding wider must be asked for explicitly.
 */
export function parseListen(listen: string): ListenAddress {
  return parseListenAddress(listen, { name: 'listen', example: '127.0.0.1:8095', emptyHost: '127.0.0.1' });
}
