/** A value a script receives: a primitive, or a handle on a JS object (`luaTable`) or array (`luaList`). */
export type Pushed = string | number | boolean | undefined | { __kind: 'luaTable' | 'luaList'; h: number };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The objects one request's script holds handles on (krakend-lua keeps them in Go): nested data is read
 * and written in place, so `response.load():data():get('user'):set('id', 1)` changes the response.
 */
export class Handles {
  private readonly objects: unknown[] = [];

  /** A handle on `value` as a script sees it. */
  push(value: unknown): Pushed {
    if (Array.isArray(value)) return { __kind: 'luaList', h: this.objects.push(value) - 1 };
    if (isObject(value)) return { __kind: 'luaTable', h: this.objects.push(value) - 1 };
    if (value === null) return undefined;
    return value as Pushed;
  }

  /** What a script passed: a luaTable/luaList handle is its object; a Lua table arrives converted. */
  resolve(value: unknown): unknown {
    if (isObject(value) && typeof value.__h === 'number') return this.objects[value.__h];
    return value ?? null;
  }

  /** The luaTable and luaList methods. */
  call(op: string, h: number, argc: number, a: unknown, b: unknown): unknown {
    const target = this.objects[h];
    switch (op) {
      case 'luaTable.new':
        return this.push({});
      case 'luaList.new':
        return this.push([]);
      case 'luaTable.get':
        return this.push((target as Record<string, unknown>)[String(a)]);
      case 'luaTable.set':
        need(argc, 2);
        (target as Record<string, unknown>)[String(a)] = this.resolve(b);
        return undefined;
      case 'luaTable.len':
        return Object.keys(target as object).length;
      case 'luaTable.del':
        delete (target as Record<string, unknown>)[String(a)];
        return undefined;
      case 'luaTable.keys':
        return this.push(Object.keys(target as object).sort());
      case 'luaTable.keyExists':
        return Object.hasOwn(target as object, String(a));
      case 'luaList.len':
        return (target as unknown[]).length;
      case 'luaList.get': {
        need(argc, 1);
        const list = target as unknown[];
        const i = Math.trunc(Number(a));
        return i >= 0 && i < list.length ? this.push(list[i]) : undefined;
      }
      case 'luaList.set': {
        need(argc, 2);
        const list = target as unknown[];
        const i = Math.trunc(Number(a));
        if (i < 0) return undefined;
        while (list.length < i) list.push(null);
        list[i] = this.resolve(b);
        return undefined;
      }
      case 'luaList.del': {
        need(argc, 1);
        const i = Math.trunc(Number(a));
        const list = target as unknown[];
        if (i >= 0 && i < list.length) list.splice(i, 1);
        return undefined;
      }
      default:
        throw new Error(`${op} is not supported`);
    }
  }
}

/** krakend-lua's error for a method called without the arguments it needs. */
export function need(argc: number, n: number): void {
  if (argc < n) throw new Error('need arguments');
}

/** Go's textproto.CanonicalMIMEHeaderKey for the usual header names. */
export function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}
