import { type ListenAddress, parseListenAddress as parse } from '@switchyard/shared';

export type { ListenAddress };

/**
 * Parses the admin listener's `host:port`. A missing host means loopback, not every interface: the admin
 * API exposes the event stream, so binding wider must be asked for explicitly (`0.0.0.0:8091`).
 */
export function parseListenAddress(text: string): ListenAddress {
  return parse(text, { name: 'admin listen address', example: '127.0.0.1:8091', emptyHost: '127.0.0.1' });
}
