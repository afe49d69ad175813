import { XMLBuilder } from 'fast-xml-parser';

/**
 * The `xml` output encoding as krakend-xml writes it (mxj): a map with one key whose value is an object
 * becomes that root element, anything else is wrapped in `<doc>`; `-name` keys are attributes and
 * `#text` the element text, as the `xml` backend decoding produces them; arrays repeat their element.
 */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '-',
  textNodeName: '#text',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  format: false,
});

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys in Go's map order (sorted), attributes first so the builder sees them on their element. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (!isObject(v)) return v === null ? '' : v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sorted(v[k]);
  return out;
}

export function toXml(data: Record<string, unknown>): string {
  const keys = Object.keys(data);
  const only = keys.length === 1 ? data[keys[0] as string] : undefined;
  const root = isObject(only) ? data : { doc: data };
  return builder.build(sorted(root)) as string;
}
