import { describe, expect, it } from 'vitest';
import { QueryPolicy } from '../src/backend/forward.js';

describe('QueryPolicy (input_query_strings)', () => {
  it('encodes as Go url.Values.Encode: keys sorted, values in their order, QueryEscape', () => {
    const all = new QueryPolicy(['*']);
    expect(all.build('b=2&a=x%20y&b=1&c=%21&a=z')).toBe('a=x+y&a=z&b=2&b=1&c=%21');
    const some = new QueryPolicy(['b', 'a', 'missing']);
    expect(some.build('b=2&a=1&c=3&b=1')).toBe('a=1&b=2&b=1');
  });

  it('forwards a query of 20,000 keys (one pass over the query, not one per key)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    const query = [...keys]
      .reverse()
      .map((k, i) => `${k}=${i}&${k}=v`)
      .join('&');
    const out = new QueryPolicy(['*']).build(query).split('&');
    expect(out).toHaveLength(40_000);
    expect(out.slice(0, 4)).toEqual(['k00000=19999', 'k00000=v', 'k00001=19998', 'k00001=v']);
    expect(out.at(-1)).toBe('k19999=v');
    expect(new QueryPolicy(keys.slice(0, 3)).build(query)).toBe(
      'k00000=19999&k00000=v&k00001=19998&k00001=v&k00002=19997&k00002=v',
    );
  });
});
