import type {
  AmqpConsumerNamespace,
  AmqpProducerNamespace,
  Backend,
  PubsubPublisherNamespace,
  PubsubSubscriberNamespace,
} from '@switchyard/config';
import { type Logger, SwitchyardError } from '@switchyard/shared';
import { consumerBackend, producerBackend } from './amqp/backend.js';
import { AmqpConnections } from './amqp/connections.js';
import { AmqpConsumer } from './amqp/consumer.js';
import { AmqpProducer } from './amqp/producer.js';
import type { BrokerBackendOptions } from './options.js';
import { publisherBackend, subscriberBackend } from './pubsub/backend.js';
import { KafkaProducers, KafkaTopic, kafkaBrokers } from './pubsub/kafka.js';
import { KafkaSubscription } from './pubsub/kafka-subscription.js';
import { MemTopics } from './pubsub/mem.js';
import { NatsConnections, NatsPublisher, NatsSubscriber } from './pubsub/nats.js';
import { RabbitTopic } from './pubsub/rabbit.js';
import { fromEnv, knownParams, type PubsubUrl, parsePubsubUrl, singleParam } from './pubsub/url.js';
import type { BrokerBackend } from './stage.js';

export type { BrokerBackendOptions } from './options.js';
export type { BrokerBackend } from './stage.js';

export const AMQP_CONSUMER = 'backend/amqp/consumer';
export const AMQP_PRODUCER = 'backend/amqp/producer';
export const PUBSUB_PUBLISHER = 'backend/pubsub/publisher';
export const PUBSUB_SUBSCRIBER = 'backend/pubsub/subscriber';

/** gocloud.dev's Pub/Sub schemes Switchyard does not open (their brokers do not run here). */
const NOT_OPENED = 'gcppubsub, awssns, awssqs, azuresb';

interface Closeable {
  close(): Promise<void>;
}

/**
 * The backends that are message brokers (AMQP, Pub/Sub), built where routes are built. Their consumers and
 * publishers hold connections, so they outlive a reload when their broker and settings are unchanged (a
 * reload neither drops a queue's prefetched messages nor reconnects); those no longer configured are closed
 * once the requests of the routes they served are done, and every one on stop.
 */
export class Brokers {
  private readonly amqp: AmqpConnections;
  private readonly nats: NatsConnections;
  private readonly kafka = new KafkaProducers();
  private readonly mem = new MemTopics();
  private live = new Map<string, Closeable>();
  /** No longer configured, closed once the requests of the routes that used them are done. */
  private readonly retiring = new Set<Closeable>();
  private building: Map<string, Closeable> | null = null;

  constructor(private readonly logger: Logger) {
    this.amqp = new AmqpConnections(logger);
    this.nats = new NatsConnections();
  }

  /** Routes are about to be built. */
  begin(): void {
    this.building = new Map();
  }

  /**
   * The routes built are in place: what they no longer use is closed once `previousDone` settles (the
   * requests still running on the routes before are done), so a request in flight is not failed by it.
   */
  commit(previousDone: Promise<void> = Promise.resolve()): void {
    const next = this.building;
    if (!next) return;
    this.building = null;
    const unused = [...this.live].filter(([key, c]) => next.get(key) !== c).map(([, c]) => c);
    this.live = next;
    if (unused.length === 0) return;
    for (const c of unused) this.retiring.add(c);
    void previousDone.then(() => {
      for (const c of unused) if (this.retiring.delete(c)) void c.close();
    });
  }

  /** The build failed: close what it opened, keep what the serving routes use. */
  abandon(): void {
    const next = this.building;
    if (!next) return;
    this.building = null;
    for (const [key, c] of next) if (this.live.get(key) !== c) void c.close();
  }

  async close(): Promise<void> {
    const all = [...this.live.values(), ...this.retiring];
    this.live.clear();
    this.retiring.clear();
    await Promise.all(all.map((c) => c.close()));
    await this.amqp.close();
    await this.nats.close();
    await this.kafka.close();
  }

  /** The broker backend `b` is, or null for an HTTP backend (decided once, at build: nothing per request). */
  backend(b: Backend, o: BrokerBackendOptions): BrokerBackend | null {
    const extra = b.extra_config;
    if (!extra) return null;
    const consumer = extra[AMQP_CONSUMER] as AmqpConsumerNamespace | undefined;
    if (consumer) {
      const url = this.host(o, AMQP_CONSUMER);
      return consumerBackend(
        this.keep(
          `${AMQP_CONSUMER} ${url} ${JSON.stringify(consumer)}`,
          () => new AmqpConsumer(url, consumer, this.amqp, this.logger),
        ),
        o,
      );
    }
    const producer = extra[AMQP_PRODUCER] as AmqpProducerNamespace | undefined;
    if (producer) {
      const url = this.host(o, AMQP_PRODUCER);
      return producerBackend(
        this.keep(
          `${AMQP_PRODUCER} ${url} ${JSON.stringify(producer)}`,
          () => new AmqpProducer(url, producer, this.amqp, this.logger),
        ),
        producer,
        o,
      );
    }
    const publisher = extra[PUBSUB_PUBLISHER] as PubsubPublisherNamespace | undefined;
    if (publisher) {
      const url = this.host(o, PUBSUB_PUBLISHER) + publisher.topic_url;
      const where = `${o.where} ${PUBSUB_PUBLISHER}`;
      return publisherBackend(this.topic(parsePubsubUrl(url, where), url, where), o);
    }
    const subscriber = extra[PUBSUB_SUBSCRIBER] as PubsubSubscriberNamespace | undefined;
    if (subscriber) {
      const url = this.host(o, PUBSUB_SUBSCRIBER) + subscriber.subscription_url;
      const where = `${o.where} ${PUBSUB_SUBSCRIBER}`;
      const u = parsePubsubUrl(url, where);
      if (u.scheme === 'rabbit') {
        knownParams(u, ['prefetch_count'], where);
        const prefetch = singleParam(u, 'prefetch_count', where);
        if (prefetch !== undefined && !/^\d+$/.test(prefetch))
          throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: prefetch_count must be a whole number`);
        const server = fromEnv('RABBIT_SERVER_URL', where, 'rabbit');
        const cfg = {
          name: u.name,
          exchange: '',
          routing_key: [],
          ...(prefetch !== undefined && { prefetch_count: Number(prefetch) }),
        };
        return consumerBackend(
          this.keep(
            `${PUBSUB_SUBSCRIBER} ${url} ${server}`,
            () => new AmqpConsumer(server, cfg, this.amqp, this.logger, false),
          ),
          o,
        );
      }
      return subscriberBackend(this.subscription(u, url, where), o);
    }
    return null;
  }

  /** The topic a gocloud `topic_url` names. */
  private topic(u: PubsubUrl, url: string, where: string) {
    if (u.scheme === 'nats') {
      const link = this.nats.get(fromEnv('NATS_SERVER_URL', where, 'nats'));
      return this.keep(`${PUBSUB_PUBLISHER} ${url}`, () => new NatsPublisher(link, u.name));
    }
    if (u.scheme === 'kafka') {
      knownParams(u, ['key_name'], where);
      const keyName = singleParam(u, 'key_name', where);
      const brokers = kafkaBrokers(fromEnv('KAFKA_BROKERS', where, 'kafka'));
      return this.keep(
        `${PUBSUB_PUBLISHER} ${url} ${brokers.join(',')}`,
        () => new KafkaTopic(this.kafka.acquire(brokers), u.name, keyName),
      );
    }
    if (u.scheme === 'rabbit') {
      knownParams(u, ['key_name'], where);
      const keyName = singleParam(u, 'key_name', where);
      const server = fromEnv('RABBIT_SERVER_URL', where, 'rabbit');
      return this.keep(
        `${PUBSUB_PUBLISHER} ${url} ${server}`,
        () => new RabbitTopic(server, u.name, keyName, this.amqp, this.logger),
      );
    }
    if (u.scheme === 'mem') return this.mem.publisher(u.name);
    throw this.unsupported(where, u.scheme);
  }

  /** The subscription a gocloud `subscription_url` names (rabbit:// is an AMQP consumer, built apart). */
  private subscription(u: PubsubUrl, url: string, where: string) {
    if (u.scheme === 'nats') {
      const link = this.nats.get(fromEnv('NATS_SERVER_URL', where, 'nats'));
      const queue = u.query.get('queue') ?? undefined;
      return this.keep(
        `${PUBSUB_SUBSCRIBER} ${url}`,
        () => new NatsSubscriber(link, u.name, queue, this.logger),
      );
    }
    if (u.scheme === 'kafka') {
      knownParams(u, ['topic', 'offset'], where);
      const topics = u.query.getAll('topic').filter((t) => t !== '');
      if (topics.length === 0)
        throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: kafka://${u.name} names no ?topic=`);
      const offset = singleParam(u, 'offset', where) ?? 'newest';
      if (offset !== 'oldest' && offset !== 'newest')
        throw new SwitchyardError('SWY_CONFIG_INVALID', `${where}: offset must be oldest or newest`);
      const brokers = kafkaBrokers(fromEnv('KAFKA_BROKERS', where, 'kafka'));
      return this.keep(
        `${PUBSUB_SUBSCRIBER} ${url} ${brokers.join(',')}`,
        () =>
          new KafkaSubscription({ brokers, group: u.name, topics, oldest: offset === 'oldest' }, this.logger),
      );
    }
    if (u.scheme === 'mem')
      return this.keep(`${PUBSUB_SUBSCRIBER} ${url}`, () => this.mem.subscriber(u.name));
    throw this.unsupported(where, u.scheme);
  }

  /** A scheme gocloud opens and Switchyard does not: the endpoint is unserved (500), the log says why. */
  private unsupported(where: string, scheme: string): SwitchyardError {
    return new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `${where}: the ${scheme}:// scheme is not supported (nats, kafka, rabbit and mem are; not ${NOT_OPENED})`,
    );
  }

  /** KrakenD's brokers use the first host only. */
  private host(o: BrokerBackendOptions, ns: string): string {
    const host = o.hosts[0];
    if (!host)
      throw new SwitchyardError('SWY_CONFIG_INVALID', `${o.where}: ${ns} needs a host (the broker URL)`);
    return host;
  }

  /** The consumer or publisher of these settings: the live one, or a new one. */
  private keep<T extends Closeable>(key: string, create: () => T): T {
    const existing = (this.building?.get(key) ?? this.live.get(key)) as T | undefined;
    const c = existing ?? create();
    (this.building ?? this.live).set(key, c);
    return c;
  }
}
