import { SwitchyardError } from '@switchyard/shared';

/** One value taken from a request body, with where it was. */
export interface BodyItem {
  index: number;
  /** 1-based line, for NDJSON. */
  line?: number;
  value: unknown;
}

export interface ParsedBody {
  items: BodyItem[];
  /** NDJSON lines that are not JSON: reported per line, while the other lines go on. */
  unparsable: Array<{ index: number; line: number; reason: string }>;
}

function parseNdjson(text: string): ParsedBody {
  const items: BodyItem[] = [];
  const unparsable: ParsedBody['unparsable'] = [];
  const lines = text.split('\n');
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    try {
      items.push({ index, line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      unparsable.push({ index, line: i + 1, reason: `not valid JSON: ${(err as Error).message}` });
    }
    index++;
  }
  return { items, unparsable };
}

const isNdjsonType = (contentType: string) => /\b(x-)?ndjson\b|\bjsonl\b|\bjson-lines\b/i.test(contentType);

/**
 * Splits a body into items: NDJSON by content type (`application/x-ndjson`), else one JSON value (an array
 * gives its elements) — or NDJSON after all when the whole body is not JSON but its first line is.
 * SWY_PAYLOAD_INVALID (400) when it is none of these.
 */
export function bodyItems(body: Buffer, contentType: string | undefined): ParsedBody {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new SwitchyardError('SWY_PAYLOAD_INVALID', 'the request body is empty');
  if (contentType && isNdjsonType(contentType)) return parseNdjson(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const firstLine = text.trimStart().split('\n', 1)[0] as string;
    if (text.trim().includes('\n')) {
      try {
        JSON.parse(firstLine);
        return parseNdjson(text);
      } catch {
        // Not NDJSON either: report the JSON error of the whole body.
      }
    }
    throw new SwitchyardError(
      'SWY_PAYLOAD_INVALID',
      `the request body is not JSON, a JSON array or NDJSON: ${(err as Error).message}`,
    );
  }
  const values = Array.isArray(value) ? value : [value];
  return { items: values.map((v, index) => ({ index, value: v })), unparsable: [] };
}
