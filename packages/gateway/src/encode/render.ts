import type { OutgoingHttpHeaders } from 'node:http';
import type { OutputEncoding } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import type { ProxyResponse } from '../pipeline/types.js';
import type { Exchange } from '../request/exchange.js';
import { goJson } from './go-json.js';
import { negotiate, PLAIN_MIME, XML_MIME, YAML_MIME } from './negotiate.js';
import { toXml } from './xml.js';
import { toYaml } from './yaml.js';

/** Writes the 200 answer for built data; `headers` already holds the gateway's own headers. */
export type Render = (x: Exchange, response: ProxyResponse | null, headers: OutgoingHttpHeaders) => void;

const JSON_TYPE = 'application/json; charset=utf-8';

const json: Render = (x, response, headers) => {
  headers['Content-Type'] = JSON_TYPE;
  x.send(200, headers, response ? goJson(response.data) : '{}', response?.complete ?? false);
};

const jsonCollection: Render = (x, response, headers) => {
  headers['Content-Type'] = JSON_TYPE;
  const collection = response?.data.collection;
  x.send(200, headers, collection === undefined ? '[]' : goJson(collection), response?.complete ?? false);
};

const text: Render = (x, response, headers) => {
  headers['Content-Type'] = 'text/plain; charset=utf-8';
  const content = response?.data.content;
  x.send(200, headers, typeof content === 'string' ? content : '', response?.complete ?? false);
};

// krakend-xml's render: mxj's XML of the data, typed as gin's MIMEXML; no data is an empty body.
const xml: Render = (x, response, headers) => {
  headers['Content-Type'] = response ? XML_MIME : 'application/xml; charset=utf-8';
  x.send(200, headers, response ? toXml(response.data) : '', response?.complete ?? false);
};

// gin's c.YAML.
const yaml: Render = (x, response, headers) => {
  headers['Content-Type'] = 'application/yaml; charset=utf-8';
  x.send(200, headers, toYaml(response?.data ?? {}), response?.complete ?? false);
};

const negotiated: Render = (x, response, headers) => {
  switch (negotiate(x.req.headers.accept)) {
    case XML_MIME:
      return xml(x, response, headers);
    case PLAIN_MIME:
    case YAML_MIME:
      return yaml(x, response, headers);
    default:
      return json(x, response, headers);
  }
};

/** The render for an endpoint's `output_encoding` (`no-op` streams and has no render). */
export function renderFor(encoding: OutputEncoding, where: string): Render {
  switch (encoding) {
    case 'json':
      return json;
    case 'json-collection':
      return jsonCollection;
    case 'string':
      return text;
    case 'negotiate':
      return negotiated;
    case 'xml':
      return xml;
    case 'yaml':
      return yaml;
    default:
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where}: output_encoding ${JSON.stringify(encoding)} is not supported (use json, json-collection, string, xml, yaml, negotiate or no-op)`,
      );
  }
}
