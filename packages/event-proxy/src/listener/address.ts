import { type ListenAddress, parseListenAddress } from '@switchyard/shared';

/** The proxy listener's `host:port`. An empty host means every interface, as in Go's net.Listen. */
export function parseListen(listen: string): ListenAddress {
  return parseListenAddress(listen, { name: 'listen', example: '127.0.0.1:8095', emptyHost: '0.0.0.0' });
}
