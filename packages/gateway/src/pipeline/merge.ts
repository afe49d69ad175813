import type { Data } from '../backend/decode.js';
import { MergeError } from '../errors/status.js';
import type { ProxyRequest, ProxyResult, Stage } from './types.js';

const NULL_RESULT = new Error('invalid response');

/**
 * Merges backend results as they arrive, as lura does: the first data becomes the base and later
 * arrivals are copied over it (a later arrival wins a key clash). The result is complete only when
 * every backend answered in time, completely.
 */
export class MergeAccumulator {
  private data: Data | null = null;
  private complete = true;
  private errors: Error[] = [];

  constructor(private pending: number) {}

  add(result: ProxyResult): void {
    this.pending--;
    if (result.error) {
      this.errors.push(result.error);
      return;
    }
    const response = result.response;
    if (!response) {
      this.errors.push(NULL_RESULT);
      return;
    }
    this.complete &&= response.complete;
    if (this.data === null) this.data = response.data;
    else Object.assign(this.data, response.data);
  }

  result(): ProxyResult {
    const error = this.errors.length > 0 ? new MergeError(this.errors) : null;
    if (this.data === null) return { response: null, error };
    return { response: { data: this.data, complete: this.complete && this.pending === 0 && !error }, error };
  }
}

/** Calls every backend at once and merges in order of arrival. */
export function parallelMerge(parts: readonly Stage[]): Stage {
  return (req: ProxyRequest) =>
    new Promise<ProxyResult>((resolve) => {
      const acc = new MergeAccumulator(parts.length);
      let waiting = parts.length;
      const onResult = (r: ProxyResult) => {
        acc.add(r);
        if (--waiting === 0) resolve(acc.result());
      };
      const onError = (err: unknown) => onResult({ response: null, error: err as Error });
      for (const part of parts) part(req).then(onResult, onError);
    });
}
