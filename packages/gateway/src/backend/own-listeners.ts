import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

interface Listener {
  host: string;
  port: number;
  /** Only the built-in routes (`/__…`) of this listener are the gateway's own. */
  builtinsOnly: boolean;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::', '']);

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
}

/** `[::1]` → `::1`; an IPv4-mapped IPv6 address → its IPv4 form. */
function bare(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(bare(a.address));
  return out;
}

/**
 * The gateway's own listeners, which a backend's redirect must not lead to: the admin listener (its API
 * answers with events and metrics, its token is optional, and a buffered endpoint would hand its body to
 * the client) and the built-in routes of the public listener.
 */
export class OwnListeners {
  private listeners: Listener[] = [];

  /** Called once the listeners are bound. */
  set(pub: { host: string; port: number } | null, admin: { host: string; port: number } | null): void {
    this.listeners = [];
    if (pub) this.listeners.push({ host: bare(pub.host), port: pub.port, builtinsOnly: true });
    if (admin) this.listeners.push({ host: bare(admin.host), port: admin.port, builtinsOnly: false });
  }

  /** Whether a request to `host:port` for `path` would reach the gateway itself. */
  reaches(host: string, port: number, path: string): boolean {
    if (this.listeners.length === 0) return false;
    const h = bare(host);
    for (const l of this.listeners) {
      if (l.port !== port || (l.builtinsOnly && !path.startsWith('/__'))) continue;
      if (h === l.host || isLoopback(h) || UNSPECIFIED.has(h)) return true;
      if (UNSPECIFIED.has(l.host) && isIP(h) !== 0 && localAddresses().has(h)) return true;
    }
    return false;
  }

  /** Whether a redirect target (by its URL, before any DNS lookup) is the gateway itself. */
  refuses(target: URL): boolean {
    const port = target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80;
    return this.reaches(target.hostname, port, target.pathname);
  }
}
