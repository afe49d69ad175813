import { KIND, RECORD_HEADER } from '../handoff/layout.js';
import { RecordCursor, readRecord } from '../handoff/records.js';
import type { EventHub } from '../hub.js';
import { requestDataJson, responseDataJson } from './record-json.js';

const cursor = new RecordCursor();

/**
 * Turns one hand-off record into its event in `hub`, or none when the type is filtered or the request not
 * sampled. `request` and `response` events are written as JSON straight from the record (the bulk of
 * events, and most of the worker's time); the rare types, and a request whose headers need it, go through
 * the object form.
 */
export function buildRecord(hub: EventHub, bytes: Buffer): void {
  const kind = bytes[0];
  if (kind === KIND.request || kind === KIND.response) {
    const type = kind === KIND.request ? 'request' : 'response';
    const c = cursor.reset(bytes, RECORD_HEADER);
    const at = c.f64();
    const requestId = c.str();
    if (!hub.wants(type, requestId)) return;
    const data =
      kind === KIND.request
        ? requestDataJson(c, requestId, hub.settings)
        : responseDataJson(c, requestId, hub.settings);
    if (data !== undefined) {
      hub.appendJson(type, data, at, requestId);
      return;
    }
  }
  const r = readRecord(bytes);
  switch (r.kind) {
    case KIND.request:
      hub.requestStarted(r.req, r.at);
      break;
    case KIND.response:
      hub.requestFinished(r.req, r.res, r.at);
      break;
    case KIND.plugin:
      hub.pluginUpdated(r.data, r.at);
      break;
    case KIND.health:
      hub.health(r.data, r.at);
      break;
  }
}
