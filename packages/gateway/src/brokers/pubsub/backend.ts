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

/** Each request answers the data of one message, decoded with the backend's encoding. */
export function subscriberBackend(sub: SubscriptionReader, o: BrokerBackendOptions): BrokerBackend {
  return brokerBackend(sub.what, o.method, async (req) =>
    messageData(await sub.take(req.scope), sub.what, o.decode, o.format),
  );
}
