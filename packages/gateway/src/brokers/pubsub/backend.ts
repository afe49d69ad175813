import { bodyTooLarge } from '../../backend/call.js';
import type { Scope } from '../../pipeline/scope.js';
import type { BrokerBackendOptions } from '../options.js';
import { canonicalHeader } from '../params.js';
import { type BrokerBackend, brokerBackend, messageData } from '../stage.js';

export interface TopicSender {
  readonly what: string;
  send(scope: Scope, body: Buffer, metadata: Record<string, string>): Promise<void>;
}

export interface SubscriptionReader {
  readonly what: string;
  take(scope: Scope): Promise<Buffer>;
}

/** Each request sends its body, with the first value of each forwarded header as metadata; answers `{}`. */
export function publisherBackend(topic: TopicSender, o: BrokerBackendOptions): BrokerBackend {
  return brokerBackend(topic.what, o.method, async (req) => {
    const flat = o.headers.build(req);
    const metadata: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2)
      metadata[canonicalHeader(flat[i] as string)] ??= flat[i + 1] as string;
    await topic.send(req.scope, req.body ?? Buffer.alloc(0), metadata);
    return {};
  });
}

/**
 * Each request answers the data of one message, decoded with the backend's encoding. A message over the
 * backend's body limit is not decoded (SWY_BACKEND_BODY_TOO_LARGE, as an HTTP answer over it); it was
 * taken, so it is gone, as a message gocloud received and acknowledged.
 */
export function subscriberBackend(sub: SubscriptionReader, o: BrokerBackendOptions): BrokerBackend {
  return brokerBackend(sub.what, o.method, async (req) => {
    const body = await sub.take(req.scope);
    if (body.length > o.maxBodyBytes) throw bodyTooLarge(sub.what, o.maxBodyBytes);
    return messageData(body, sub.what, o.decode, o.format);
  });
}
