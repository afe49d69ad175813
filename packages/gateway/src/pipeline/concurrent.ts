import type { ProxyRequest, ProxyResponse, ProxyResult, Stage } from './types.js';

const CANCELLED = new Error('cancelled: a concurrent call answered first');

/**
 * `concurrent_calls`: the same backend is called N times at once; the first complete answer wins and
 * the other calls are cancelled. Without a complete answer, the last answer and the last error are
 * returned, as lura does.
 */
export function concurrent(backend: Stage, calls: number): Stage {
  return (req: ProxyRequest) =>
    new Promise<ProxyResult>((resolve) => {
      const scopes = Array.from({ length: calls }, () => req.scope.child());
      let waiting = calls;
      let done = false;
      let lastResponse: ProxyResponse | null = null;
      let lastError: Error | null = null;
      scopes.forEach((scope, i) => {
        backend({ ...req, scope }).then(
          (r) => settle(i, r),
          (err: unknown) => settle(i, { response: null, error: err as Error }),
        );
      });
      function settle(i: number, r: ProxyResult): void {
        waiting--;
        if (done) return;
        if (!r.error && r.response?.complete) {
          done = true;
          scopes.forEach((s, j) => {
            if (j !== i) s.abort(CANCELLED);
          });
          resolve(r);
          return;
        }
        if (r.error) lastError = r.error;
        else if (r.response) lastResponse = r.response;
        if (waiting === 0) resolve({ response: lastResponse, error: lastError });
      }
    });
}
