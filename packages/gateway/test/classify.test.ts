import { describe, expect, it } from 'vitest';
import { classifyBackendError } from '../src/errors/classify.js';

/** A Node socket error as undici passes it on. */
const sysError = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(code), { code, ...extra });

describe("backend failures worded as Go's client words them", () => {
  it('a refused connection names the dialled address', () => {
    const err = classifyBackendError(
      sysError('ECONNREFUSED', { address: '10.0.0.7', port: 8080 }),
      'http://api.internal:8080/users',
      'GET',
    );
    expect(err.code).toBe('SWY_BACKEND_REFUSED');
    expect(err.message).toBe(
      'Get "http://api.internal:8080/users": dial tcp 10.0.0.7:8080: connect: connection refused',
    );
  });

  it("an IPv6 address is bracketed, and the default port is the scheme's", () => {
    expect(
      classifyBackendError(sysError('EHOSTUNREACH', { address: '::1' }), 'https://[::1]/x', 'POST').message,
    ).toBe('Post "https://[::1]/x": dial tcp [::1]:443: connect: no route to host');
  });

  it('a name that does not resolve is a lookup failure', () => {
    expect(classifyBackendError(sysError('ENOTFOUND'), 'http://nowhere.invalid/x', 'GET').message).toBe(
      'Get "http://nowhere.invalid/x": dial tcp: lookup nowhere.invalid: no such host',
    );
  });

  it('undici timeouts are the context deadline; a reset is read: connection reset by peer', () => {
    expect(classifyBackendError(sysError('UND_ERR_HEADERS_TIMEOUT'), 'http://a/x', 'GET').message).toBe(
      'context deadline exceeded',
    );
    expect(classifyBackendError(sysError('ECONNRESET'), 'http://a/x', 'DELETE').message).toBe(
      'Delete "http://a/x": read: connection reset by peer',
    );
    expect(classifyBackendError(sysError('UND_ERR_SOCKET'), 'http://a/x', 'GET').message).toBe(
      'Get "http://a/x": EOF',
    );
  });
});
