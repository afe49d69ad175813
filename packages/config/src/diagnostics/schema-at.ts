type SchemaLike = { properties?: Record<string, SchemaLike>; items?: SchemaLike; [k: string]: unknown };

const unescapeSegment = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

/** The sub-schema that describes the value at `pointer` (through `properties` and `items`), if any. */
export function schemaAt(schema: unknown, pointer: string): SchemaLike | undefined {
  let s = schema as SchemaLike | undefined;
  for (const raw of pointer.split('/').slice(1)) {
    if (!s) return undefined;
    const seg = unescapeSegment(raw);
    s = s.properties?.[seg] ?? (/^\d+$/.test(seg) ? s.items : undefined);
  }
  return s;
}
