import { isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { describe, expect, it } from 'vitest';
import { type Hop, nextHop, tooManyRedirects } from '../src/backend/redirect.js';

const first: Hop = {
  url: 'https://api.example.com/a',
  method: 'POST',
  body: Buffer.from('{"a":1}'),
  headers: ['content-type', 'application/json', 'authorization', 'Bearer t', 'cookie', 'c=1'],
};
const names = (h: Hop | null) => (h ? h.headers.filter((_, i) => i % 2 === 0) : null);

describe("nextHop: Go's net/http redirect rules", () => {
  it.each([301, 302, 303])('%i turns a POST into a GET without body', (status) => {
    const next = nextHop(status, '/b', first, first, false);
    expect(next).toMatchObject({ url: 'https://api.example.com/b', method: 'GET', body: null });
  });

  it('301 keeps HEAD as HEAD', () => {
    expect(nextHop(301, '/b', { ...first, method: 'HEAD', body: null }, first, false)?.method).toBe('HEAD');
  });

  it.each([307, 308])('%i keeps method and body only when the body can be replayed', (status) => {
    expect(nextHop(status, '/b', first, first, false)).toBeNull();
    expect(nextHop(status, '/b', first, first, true)).toMatchObject({ method: 'POST', body: first.body });
    const bodiless = { ...first, method: 'PUT', body: null };
    expect(nextHop(status, '/b', bodiless, bodiless, false)).toMatchObject({ method: 'PUT', body: null });
  });

  it('no Location, or one that is not http(s), is not followed', () => {
    expect(nextHop(302, undefined, first, first, false)).toBeNull();
    expect(nextHop(302, 'ftp://x/y', first, first, false)).toBeNull();
  });

  it('keeps credentials for the same host and its subdomains, drops them elsewhere', () => {
    expect(names(nextHop(302, 'https://api.example.com:8443/b', first, first, false))).toContain(
      'authorization',
    );
    expect(names(nextHop(302, 'https://v2.api.example.com/b', first, first, false))).toContain('cookie');
    const away = names(nextHop(302, 'https://other.example.com/b', first, first, false));
    expect(away).not.toContain('authorization');
    expect(away).not.toContain('cookie');
    expect(away).toContain('content-type');
  });

  it('adds a Referer naming the previous URL, but not from https to http', () => {
    const next = nextHop(302, '/b#frag', first, first, false);
    expect(next?.url).toBe('https://api.example.com/b');
    expect(next?.headers.slice(-2)).toEqual(['referer', 'https://api.example.com/a']);
    expect(names(nextHop(302, 'http://api.example.com/b', first, first, false))).not.toContain('referer');
  });
});

describe('tooManyRedirects', () => {
  it("is its own failure (SWY_BACKEND_TOO_MANY_REDIRECTS, 502 with transport_statuses), worded as Go's client", () => {
    const err = tooManyRedirects('GET', 'http://127.0.0.1:1/loop/11');
    expect(isSwitchyardError(err, 'SWY_BACKEND_TOO_MANY_REDIRECTS')).toBe(true);
    expect((err as SwitchyardError).status).toBe(502);
    expect(err.message).toBe('Get "http://127.0.0.1:1/loop/11": stopped after 10 redirects');
  });
});
