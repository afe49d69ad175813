import { SwitchyardError } from '@switchyard/shared';
import { claimText } from '../plugins/jwt-validator.js';

/** One entry of a backend's `host` list. */
export interface Upstream {
  origin: string;
  /** A path prefix written in the host entry (`http://api/v2`), '' when none. */
  basePath: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Parses a host entry; without `disable_host_sanitize` a missing scheme means http, as in KrakenD. */
export function parseHost(host: string, sanitize: boolean, where: string): Upstream {
  const text = sanitize && !SCHEME.test(host.trim()) ? `http://${host.trim()}` : host.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: host ${JSON.stringify(host)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where}: host ${JSON.stringify(host)} must be http or https`,
    );
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/** A `{respN_a.b}` placeholder of a sequential backend: a field of backend N's answer. */
export interface SequentialSlot {
  key: string;
  backend: number;
  path: string[];
}

type Part = string | { param: number } | { seq: string } | { jwt: string };

const PLACEHOLDER = /\{([^{}]+)\}/g;
const SEQUENTIAL = /^resp(\d+)_([\w.-]+)$/i;

// KrakenD compares parameter names with their first letter upper-cased: {id} and {Id} are the same.
const canonical = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * A url_pattern compiled once into literal parts and slots. Slot values are percent-encoded when the path
 * is built, so a value can never add a segment, a query or a fragment to the backend URL.
 */
export class UrlTemplate {
  private constructor(
    private readonly parts: Part[],
    readonly sequential: SequentialSlot[],
  ) {}

  static compile(
    pattern: string,
    endpointParams: readonly string[],
    sequentialIndex: number | null,
    where: string,
  ): UrlTemplate {
    const names = endpointParams.map(canonical);
    const parts: Part[] = [];
    const sequential: SequentialSlot[] = [];
    let last = 0;
    for (const m of pattern.matchAll(PLACEHOLDER)) {
      const name = m[1] as string;
      if (m.index > last) parts.push(pattern.slice(last, m.index));
      last = m.index + m[0].length;
      const index = names.indexOf(canonical(name));
      if (index >= 0) {
        parts.push({ param: index });
        continue;
      }
      if (name.startsWith('JWT.') && name.length > 4) {
        // krakend-jose looks the claim up by the whole name after `JWT.` (no nesting).
        parts.push({ jwt: name.slice(4) });
        continue;
      }
      const seq = SEQUENTIAL.exec(name);
      if (seq && sequentialIndex !== null && Number(seq[1]) < sequentialIndex) {
        const key = `${seq[1]}_${seq[2]}`;
        sequential.push({ key, backend: Number(seq[1]), path: (seq[2] as string).split('.') });
        parts.push({ seq: key });
        continue;
      }
      const hint = seq
        ? sequentialIndex === null
          ? ' (needs "proxy": {"sequential": true} on the endpoint)'
          : ' (may only name an earlier backend)'
        : ` (the endpoint has ${endpointParams.length ? endpointParams.map((p) => `{${p}}`).join(', ') : 'no parameters'})`;
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where}: url_pattern placeholder {${name}} is undefined${hint}`,
      );
    }
    if (last < pattern.length) parts.push(pattern.slice(last));
    return new UrlTemplate(parts, sequential);
  }

  render(
    params: readonly string[],
    sequential: Map<string, string> | null,
    claims: Record<string, unknown> | null = null,
  ): string {
    let out = '';
    for (const p of this.parts) {
      if (typeof p === 'string') out += p;
      else if ('param' in p) out += encodeURIComponent(params[p.param] ?? '');
      else if ('jwt' in p) {
        const claim = claims?.[p.jwt];
        out += claim === undefined ? '' : encodeURIComponent(claimText(claim));
      } else out += sequential?.get(p.seq) ?? '';
    }
    return out;
  }
}
