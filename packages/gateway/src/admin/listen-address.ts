import { SwitchyardError } from '@switchyard/shared';

export interface ListenAddress {
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/;

/**
 * Parses `host:port` (`[::1]:8091` for IPv6). A missing host means loopback, not every interface: the
 * admin API exposes the event stream, so binding wider must be asked for explicitly (`0.0.0.0:8091`).
 */
export function parseListenAddress(text: string): ListenAddress {
  const m = HOST_PORT.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65_535) {
    throw new SwitchyardError(
      'SWY_INVALID_ARGUMENT',
      `admin listen address ${JSON.stringify(text)}: expected host:port, e.g. 127.0.0.1:8091`,
    );
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
