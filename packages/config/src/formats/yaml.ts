import { SwitchyardError } from '@switchyard/shared';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { escapePointer, type Located, type ParsedJson } from '../json/parse-with-positions.js';

// Bounds alias expansion ("billion laughs"): a config never needs more.
const MAX_ALIAS_COUNT = 100;

/**
 * Parses a YAML config (YAML 1.2 core schema, merge keys `<<` as go-yaml reads them) and records the
 * line:column of every value and key under its JSON pointer, as the JSON parser does. Duplicate keys and
 * syntax errors are SWY_CONFIG_PARSE with line:column.
 */
export function parseYamlWithPositions(text: string, file = '<input>'): ParsedJson {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new SwitchyardError(
      'SWY_CONFIG_PARSE',
      `${file}:${pos.line}:${pos.col}: invalid YAML: ${first.message.split(' at line')[0]}`,
      { details: { file, line: pos.line, column: pos.col } },
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new SwitchyardError('SWY_CONFIG_PARSE', `${file}: invalid YAML: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  const positions = new Map<string, Located>();
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const walk = (node: unknown, pointer: string, key?: Located['key']) => {
    const start = (node as Node | null)?.range?.[0];
    if (start !== undefined) positions.set(pointer, key ? { value: at(start), key } : { value: at(start) });
    else if (key) positions.set(pointer, { value: key, key });
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
        if (k === '<<') continue; // merged members stay where their anchor is
        const keyStart = (item.key as Node | null)?.range?.[0];
        walk(item.value, `${pointer}/${escapePointer(k)}`, keyStart === undefined ? undefined : at(keyStart));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, `${pointer}/${i}`);
      });
    } else if (isAlias(node)) {
      // an alias points at its anchor's text; the alias itself is where it is used
    }
  };
  walk(doc.contents, '');
  return { value: value ?? null, positions, duplicates: [] };
}
