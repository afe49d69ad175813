import { type XMLParser, XMLValidator } from 'fast-xml-parser';
import { backendError } from '../errors/status.js';

/** Largest `xml` or `rss` backend body decoded when `switchyard/backend` sets no `max_xml_bytes`. */
export const DEFAULT_MAX_XML_BYTES = 1024 * 1024;

/**
 * An `xml` or `rss` backend body, validated then parsed. Both run on the request thread, so the body is
 * bounded by `maxBytes` first: past it the backend failed (SWY_BACKEND_BODY_TOO_LARGE), nothing is read.
 * The validator stays: fast-xml-parser's parser never refuses input (`<a><b></a>` or an unclosed `<a>`
 * parse to data), where Go's decoder reports an error.
 */
export function parseXmlBody(parser: XMLParser, body: Buffer, url: string, maxBytes: number): unknown {
  if (body.length > maxBytes) {
    throw backendError(
      'SWY_BACKEND_BODY_TOO_LARGE',
      `xml: body of ${body.length} bytes is larger than max_xml_bytes (${maxBytes})`,
      { url, limit: maxBytes },
    );
  }
  const text = body.toString('utf8');
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw backendError('SWY_BACKEND_BAD_RESPONSE', `xml: ${valid.err.msg} (line ${valid.err.line})`, { url });
  return parser.parse(text);
}
