import type { Encoding } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { XMLParser } from 'fast-xml-parser';
import { backendError } from '../errors/status.js';
import { decodeFeed } from './rss.js';
import { DEFAULT_MAX_XML_BYTES, parseXmlBody } from './xml-body.js';

export type Data = Record<string, unknown>;

/** Turns a backend body into the data the pipeline works on; throws SWY_BACKEND_BAD_RESPONSE. */
export type Decoder = (body: Buffer, url: string) => Data;

const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

function parse(body: Buffer, url: string): unknown {
  // Go's decoder reads an empty body as io.EOF, the text KrakenD reports.
  if (body.length === 0) throw backendError('SWY_BACKEND_BAD_RESPONSE', 'EOF', { url });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw backendError('SWY_BACKEND_BAD_RESPONSE', (err as Error).message, { url });
  }
}

/** Go's encoding/json name for a JSON value's kind. */
const goKind = (v: unknown) =>
  Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;

/** encoding/json's text for a value that does not fit the Go type lura decodes into. */
function shapeError(url: string, goType: string, got: unknown): SwitchyardError {
  return backendError(
    'SWY_BACKEND_BAD_RESPONSE',
    `json: cannot unmarshal ${goKind(got)} into Go value of type ${goType}`,
    { url },
  );
}

const json: Decoder = (body, url) => {
  const v = parse(body, url);
  if (isObject(v)) return v;
  if (v === null) return {};
  throw shapeError(url, 'map[string]interface {}', v);
};

const jsonCollection: Decoder = (body, url) => {
  const v = parse(body, url);
  if (Array.isArray(v)) return { collection: v };
  if (v === null) return { collection: null };
  throw shapeError(url, '[]interface {}', v);
};

// safejson accepts any JSON: objects as they are, arrays under `collection`, scalars under `content`.
const safeJson: Decoder = (body, url) => {
  const v = parse(body, url);
  if (isObject(v)) return v;
  return Array.isArray(v) ? { collection: v } : { content: v };
};

const text: Decoder = (body) => ({ content: body.toString('utf8') });

// krakend-xml decodes with mxj: the root element is the one key, attributes are `-name`, an element's
// text next to attributes is `#text`, repeated elements are arrays, every value stays a string.
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '-',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  processEntities: true,
});

function parseXml(body: Buffer, url: string, maxBytes: number): Data {
  const v = parseXmlBody(xmlParser, body, url, maxBytes);
  return isObject(v) ? v : {};
}

// A no-op backend inside an endpoint that is not no-op contributes no data, as in KrakenD.
const ignore: Decoder = () => ({});

/** `maxXmlBytes` bounds the `xml` and `rss` bodies (`switchyard/backend` `max_xml_bytes`). */
export function decoderFor(
  encoding: Encoding,
  isCollection: boolean,
  where: string,
  maxXmlBytes: number = DEFAULT_MAX_XML_BYTES,
): Decoder {
  switch (encoding) {
    case 'json':
      return isCollection ? jsonCollection : json;
    case 'safejson':
      return safeJson;
    case 'string':
      return text;
    case 'no-op':
      return ignore;
    case 'xml':
      return isCollection
        ? (body, url) => ({ collection: parseXml(body, url, maxXmlBytes) })
        : (body, url) => parseXml(body, url, maxXmlBytes);
    case 'rss':
      return (body, url) => decodeFeed(body, url, maxXmlBytes);
    default:
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where}: encoding ${JSON.stringify(encoding)} is not supported (use json, safejson, string, xml, rss or no-op)`,
      );
  }
}

/** Whether data has at least one field (KrakenD treats empty data as no answer for completeness). */
export function hasKeys(data: Data): boolean {
  for (const _ in data) return true;
  return false;
}
