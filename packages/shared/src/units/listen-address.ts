import { SwitchyardError } from '../errors/switchyard-error.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ListenAddressOptions {
  /** What the address configures, for the error message [listen address]. */
  name?: string;
  /** An example for the error message [127.0.0.1:8080]. */
  example?: string;
  /** The host when the text has none (`:8091`) [127.0.0.1: loopback unless asked otherwise]. */
  emptyHost?: string;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/;

/** Parses `host:port` (`[::1]:8091` for IPv6) into a host and a port. */
export function parseListenAddress(text: string, options: ListenAddressOptions = {}): ListenAddress {
  const { name = 'listen address', example = '127.0.0.1:8080', emptyHost = '127.0.0.1' } = options;
  const m = HOST_PORT.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65_535) {
    throw new SwitchyardError(
      'SWY_INVALID_ARGUMENT',
      `${name} ${JSON.stringify(text)}: expected host:port, e.g. ${example} or [::1]:${example.split(':').pop()}`,
    );
  }
  return { host: m[1] ?? (m[2] || emptyHost), port };
}

/** Whether a listener bound to `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
