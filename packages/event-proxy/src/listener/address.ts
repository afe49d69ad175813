import { SwitchyardError } from '@switchyard/shared';

/** Splits `host:port` (`[::1]:8095` for IPv6). An empty host means every interface, as in Go's net.Listen. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[4]) : Number.NaN;
  if (!m || port > 65535) {
    throw new SwitchyardError(
      'SWY_INVALID_ARGUMENT',
      `listen: expected host:port, e.g. 127.0.0.1:8095 or [::1]:8095 (got ${JSON.stringify(listen)})`,
    );
  }
  return { host: m[2] ?? (m[3] || '0.0.0.0'), port };
}
