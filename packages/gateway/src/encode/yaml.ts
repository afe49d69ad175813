// A small YAML emitter for JSON data (what `negotiate` answers to Accept: text/plain, as KrakenD does).
// Strings are always double-quoted in JSON syntax, which YAML reads as the same string.

const scalar = (v: unknown): string => {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function emit(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if ((isObject(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        const nested: string[] = [];
        emit(item, `${indent}  `, nested);
        out.push(`${indent}- ${(nested[0] as string).trimStart()}`, ...nested.slice(1));
      } else {
        out.push(`${indent}- ${inline(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const k = JSON.stringify(key);
    if ((isObject(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
      out.push(`${indent}${k}:`);
      emit(item, `${indent}  `, out);
    } else {
      out.push(`${indent}${k}: ${inline(item)}`);
    }
  }
}

function inline(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (isObject(v)) return '{}';
  return scalar(v);
}

export function toYaml(value: unknown): string {
  if (!isObject(value) && !Array.isArray(value)) return `${scalar(value)}\n`;
  if ((isObject(value) && Object.keys(value).length === 0) || (Array.isArray(value) && value.length === 0)) {
    return `${inline(value)}\n`;
  }
  const out: string[] = [];
  emit(value, '', out);
  return `${out.join('\n')}\n`;
}
