import { KIND, RECORD_HEADER } from '../handoff/layout.js';
import { RecordCursor, readRecord } from '../handoff/records.js';
import type { EventHub } from '../hub.js';
import { EnvelopeHead } from './envelope-head.js';
import { JsonBytes } from './json-bytes.js';
import { writeRequestData, writeResponseData } from './record-json.js';

const cursor = new RecordCursor();
const out = new JsonBytes();
let head: EnvelopeHead | undefined;

/**
 * Turns one hand-off record into its event in `hub`, or none when the type is filtered or the request not
 * sampled. `request` and `response` events are written as UTF-8 JSON straight from the record (the bulk
 * of events, and most of the worker's time); the rare types, and a request whose headers need it, go
 * through the object form.
 */
export function buildRecord(hub: EventHub, bytes: Buffer): void {
  const kind = bytes[0];
  if (kind === KIND.request || kind === KIND.response) {
    const type = kind === KIND.request ? 'request' : 'response';
    const c = cursor.reset(bytes, RECORD_HEADER);
    const at = c.f64();
    const requestId = c.str();
    if (!hub.wants(type, requestId)) return;
    if (head?.nodeId !== hub.nodeId) head = new EnvelopeHead(hub.nodeId);
    const id = hub.nextId(at);
    head.write(out.reset(), type, id, at);
    if (kind === KIND.response) writeResponseData(out, c, requestId, hub.settings);
    else if (!writeRequestData(out, c, requestId, hub.settings)) {
      const r = readRecord(bytes);
      if (r.kind === KIND.request) hub.requestStarted(r.req, at);
      return;
    }
    hub.appendEncoded(type, at, requestId, id, out.ascii('}').take());
    return;
  }
  const r = readRecord(bytes);
  switch (r.kind) {
    case KIND.plugin:
      hub.pluginUpdated(r.data, r.at);
      break;
    case KIND.health:
      hub.health(r.data, r.at);
      break;
  }
}
