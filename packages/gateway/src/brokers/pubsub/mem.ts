import type { Scope } from '../../pipeline/scope.js';
import { Inbox } from '../inbox.js';

const PENDING = 1024;

/**
 * gocloud's `mem://topic`: topics inside the gateway process. Every subscription of a topic gets each
 * message published to it after it was opened.
 */
export class MemTopics {
  private readonly topics = new Map<string, Set<Inbox<Buffer>>>();

  publisher(topic: string) {
    return {
      what: `mem://${topic}`,
      send: async (_scope: Scope, body: Buffer): Promise<void> => {
        for (const inbox of this.topics.get(topic) ?? []) inbox.push(body);
      },
      close: async () => {},
    };
  }

  subscriber(topic: string) {
    const inbox = new Inbox<Buffer>(PENDING);
    const subs = this.topics.get(topic) ?? new Set<Inbox<Buffer>>();
    this.topics.set(topic, subs);
    subs.add(inbox);
    return {
      what: `mem://${topic}`,
      take: (scope: Scope) => inbox.take(scope),
      close: async () => {
        subs.delete(inbox);
      },
    };
  }
}
