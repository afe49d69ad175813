import { SwitchyardError } from '@switchyard/shared';
import { RE2JS } from 're2js';

/** `modifier/martian` (backend level): Google Martian's modifiers on the backend request and response. */
export const MARTIAN = 'modifier/martian';

/** The backend request as modifiers see it: headers are lower-cased names, each with its values. */
export interface MartianRequest {
  path: string;
  query: URLSearchParams;
  port: string;
  headers: Map<string, string[]>;
  body: Buffer | null;
}

export interface MartianResponse {
  status: number;
  headers: Map<string, string[]>;
  body: Buffer;
}

type Mod<T> = (m: T) => void;
export interface Modifier {
  request: Mod<MartianRequest> | null;
  response: Mod<MartianResponse> | null;
}

type Settings = Record<string, unknown>;
const invalid = (at: string, message: string) =>
  new SwitchyardError('SWY_CONFIG_INVALID', `${MARTIAN} ${at}: ${message}`);

function str(s: Settings, key: string, at: string, optional = false): string {
  const v = s[key];
  if (v === undefined && optional) return '';
  if (typeof v !== 'string') throw invalid(at, `${key} must be a string`);
  return v;
}

/** Martian's scope: both when absent. */
function scopes(s: Settings, at: string): { request: boolean; response: boolean } {
  const scope = s.scope ?? ['request', 'response'];
  if (!Array.isArray(scope) || scope.some((x) => x !== 'request' && x !== 'response'))
    throw invalid(at, 'scope must be a list of "request" and "response"');
  return { request: scope.includes('request'), response: scope.includes('response') };
}

function scoped(
  s: Settings,
  at: string,
  req: Mod<MartianRequest> | null,
  res: Mod<MartianResponse> | null,
): Modifier {
  const sc = scopes(s, at);
  return { request: sc.request ? req : null, response: sc.response ? res : null };
}

type Both = Mod<MartianRequest | MartianResponse>;

/** A modifier or filter from its JSON: `{"header.Modifier": {...}}`. */
export function parseModifier(node: unknown, at: string): Modifier {
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    throw invalid(at, 'a modifier is an object with one key, its type');
  const keys = Object.keys(node);
  if (keys.length !== 1) throw invalid(at, `a modifier has exactly one key (its type), not ${keys.length}`);
  const type = keys[0] as string;
  const s = (node as Settings)[type];
  if (typeof s !== 'object' || s === null) throw invalid(`${at}/${type}`, 'settings must be an object');
  const build = BUILDERS[type];
  if (!build)
    throw invalid(
      at,
      `unknown modifier ${JSON.stringify(type)} (supported: ${Object.keys(BUILDERS).join(', ')})`,
    );
  return build(s as Settings, `${at}/${type}`);
}

const headers: (f: (h: Map<string, string[]>) => void) => Both = (f) => (m) => f(m.headers);

const BUILDERS: Record<string, (s: Settings, at: string) => Modifier> = {
  'header.Modifier': (s, at) => {
    const name = str(s, 'name', at).toLowerCase();
    const value = str(s, 'value', at);
    const f = headers((h) => h.set(name, [value]));
    return scoped(s, at, f, f);
  },
  'header.Append': (s, at) => {
    const name = str(s, 'name', at).toLowerCase();
    const value = str(s, 'value', at);
    const f = headers((h) => h.set(name, [...(h.get(name) ?? []), value]));
    return scoped(s, at, f, f);
  },
  'header.Blacklist': (s, at) => {
    if (!Array.isArray(s.names) || s.names.some((n) => typeof n !== 'string'))
      throw invalid(at, 'names must be a list of strings');
    const names = (s.names as string[]).map((n) => n.toLowerCase());
    const f = headers((h) => {
      for (const n of names) h.delete(n);
    });
    return scoped(s, at, f, f);
  },
  'header.Copy': (s, at) => {
    const from = str(s, 'from', at).toLowerCase();
    const to = str(s, 'to', at).toLowerCase();
    const f = headers((h) => {
      const v = h.get(from);
      if (v) h.set(to, [...v]);
    });
    return scoped(s, at, f, f);
  },
  'querystring.Modifier': (s, at) => {
    const name = str(s, 'name', at);
    const value = str(s, 'value', at);
    return scoped(s, at, (r) => r.query.set(name, value), null);
  },
  'body.Modifier': (s, at) => {
    const body = Buffer.from(str(s, 'body', at), 'base64');
    const type = str(s, 'contentType', at);
    const f: Both = (m) => {
      m.body = body;
      m.headers.set('content-type', [type]);
    };
    return scoped(s, at, f, f);
  },
  'cookie.Modifier': (s, at) => {
    const name = str(s, 'name', at);
    const value = str(s, 'value', at);
    const attrs = [
      s.path ? `Path=${str(s, 'path', at)}` : '',
      s.domain ? `Domain=${str(s, 'domain', at)}` : '',
      typeof s.maxAge === 'number' && s.maxAge > 0 ? `Max-Age=${s.maxAge}` : '',
      s.httpOnly === true ? 'HttpOnly' : '',
      s.secure === true ? 'Secure' : '',
    ].filter(Boolean);
    return scoped(
      s,
      at,
      (r) => {
        const prev = r.headers.get('cookie')?.[0];
        r.headers.set('cookie', [prev ? `${prev}; ${name}=${value}` : `${name}=${value}`]);
      },
      (r) =>
        r.headers.set('set-cookie', [
          ...(r.headers.get('set-cookie') ?? []),
          [`${name}=${value}`, ...attrs].join('; '),
        ]),
    );
  },
  'url.Modifier': (s, at) => {
    if (s.scheme || s.host)
      throw invalid(at, 'scheme and host cannot be changed by Switchyard (set the backend host)');
    const path = str(s, 'path', at, true);
    const query = str(s, 'query', at, true);
    return scoped(
      s,
      at,
      (r) => {
        if (path) r.path = path;
        if (query) r.query = new URLSearchParams(query);
      },
      null,
    );
  },
  'status.Modifier': (s, at) => {
    if (typeof s.statusCode !== 'number') throw invalid(at, 'statusCode must be a number');
    const status = s.statusCode;
    return scoped(s, at, null, (r) => {
      r.status = status;
    });
  },
  'fifo.Group': (s, at) => {
    if (!Array.isArray(s.modifiers)) throw invalid(at, 'modifiers must be a list');
    const mods = s.modifiers.map((m, i) => parseModifier(m, `${at}/modifiers/${i}`));
    const req = mods.flatMap((m) => (m.request ? [m.request] : []));
    const res = mods.flatMap((m) => (m.response ? [m.response] : []));
    // Our modifiers cannot fail once built, so aggregateErrors changes nothing at run time.
    return scoped(
      s,
      at,
      req.length
        ? (r) => {
            for (const f of req) f(r);
          }
        : null,
      res.length
        ? (r) => {
            for (const f of res) f(r);
          }
        : null,
    );
  },
  'header.Filter': (s, at) => {
    const name = str(s, 'name', at).toLowerCase();
    const value = str(s, 'value', at, true);
    return filter(s, at, (m) => {
      const v = m.headers.get(name);
      return v !== undefined && (value === '' || v.includes(value));
    });
  },
  // Martian tests the regex (unanchored, as Go's MatchString) against each value of the header. re2js has
  // Go's syntax and runs in linear time: the values come from clients, so none can make it backtrack.
  'header.RegexFilter': (s, at) => {
    const name = str(s, 'header', at).toLowerCase();
    let re: RE2JS;
    try {
      re = RE2JS.compile(str(s, 'regex', at));
    } catch (err) {
      throw invalid(at, `regex is not a valid regular expression: ${(err as Error).message}`);
    }
    return filter(s, at, (m) => (m.headers.get(name) ?? []).some((v) => re.matcher(v).find()));
  },
  'querystring.Filter': (s, at) => {
    const name = str(s, 'name', at);
    const value = str(s, 'value', at, true);
    return filter(
      s,
      at,
      (m) => 'query' in m && m.query.has(name) && (value === '' || m.query.getAll(name).includes(value)),
      true,
    );
  },
  'url.Filter': (s, at) => {
    if (s.scheme || s.host) throw invalid(at, 'only path and query can be matched by Switchyard');
    const path = str(s, 'path', at, true);
    const query = str(s, 'query', at, true);
    return filter(
      s,
      at,
      (m) =>
        'path' in m &&
        (path === '' || m.path === path) &&
        (query === '' || m.query.toString() === new URLSearchParams(query).toString()),
      true,
    );
  },
};

/** A filter runs `modifier` when its condition holds, `else` otherwise. */
function filter(
  s: Settings,
  at: string,
  test: (m: MartianRequest | MartianResponse) => boolean,
  requestOnly = false,
): Modifier {
  const then = s.modifier === undefined ? null : parseModifier(s.modifier, `${at}/modifier`);
  const other = s.else === undefined ? null : parseModifier(s.else, `${at}/else`);
  const req = (r: MartianRequest) => (test(r) ? then?.request : other?.request)?.(r);
  const res = (r: MartianResponse) => (test(r) ? then?.response : other?.response)?.(r);
  return scoped(s, at, req, requestOnly ? null : res);
}
