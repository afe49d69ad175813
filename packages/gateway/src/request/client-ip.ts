import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { RouterNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';

const unmap = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

/**
 * The client address forwarded to backends as X-Forwarded-For. By default the peer address of the
 * connection: headers a client can write are honoured only with `router.forwarded_by_client_ip`, and
 * then only from peers in `router.trusted_proxies` when that list is set.
 */
export class ClientIp {
  private readonly headers: string[] | null;
  private readonly trusted: BlockList | null;

  constructor(router: RouterNamespace) {
    this.headers = router.forwarded_by_client_ip
      ? (router.remote_ip_headers ?? ['X-Forwarded-For', 'X-Real-IP']).map((h) => h.toLowerCase())
      : null;
    this.trusted = router.trusted_proxies?.length ? trustedList(router.trusted_proxies) : null;
  }

  of(req: IncomingMessage): string {
    const peer = unmap(req.socket.remoteAddress ?? '');
    if (!this.headers || (this.trusted && !this.check(peer))) return peer;
    for (const name of this.headers) {
      const value = req.headers[name];
      if (typeof value !== 'string' || value === '') continue;
      // Walk right to left, past trusted proxies, as gin does; the leftmost entry is the last resort.
      const items = value.split(',').map((s) => s.trim());
      for (let i = items.length - 1; i >= 0; i--) {
        const ip = items[i] as string;
        if (!isIP(ip)) break;
        if (i === 0 || !this.check(ip)) return unmap(ip);
      }
    }
    return peer;
  }

  private check(ip: string): boolean {
    if (!this.trusted) return true;
    const family = isIP(ip);
    return family !== 0 && this.trusted.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}

function trustedList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(addr);
    if (family === 0) {
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `router.trusted_proxies: ${JSON.stringify(entry)} is not an IP or CIDR`,
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}
