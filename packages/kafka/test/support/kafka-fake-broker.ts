import { createServer, type Server, type Socket } from 'node:net';
import { framer } from './kafka-frames.js';

// A scripted Kafka "cluster" on loopback for lifecycle tests the librdkafka mock cannot stage: brokers that
// never answer Produce, stop reading, leave the cluster, or are not Kafka at all. It speaks just enough of
// the protocol for the client under test: ApiVersions v0, Metadata v1..v8, Produce v3..v8, InitProducerId
// v0..v1, each at the version the client picked from the ranges the broker advertises (`versions`).

export interface ProduceRequest {
  broker: number;
  /** The Produce version the client sent. */
  version: number;
  acks: number;
  /** topic → partitions in the request */
  partitions: Map<string, number[]>;
  /** The first RecordBatch of each partition, "topic/partition" → its producer fields. */
  batches: Map<string, BatchHead>;
}

/** The producer fields of a RecordBatch. */
export interface BatchHead {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: number;
}

export interface FakeBrokerOptions {
  /** What a broker does with a Produce request: answer (error 0 each partition), ignore it, or close. */
  onProduce?: (request: ProduceRequest, socket: Socket) => 'answer' | 'ignore' | 'close';
  /** Called on every new connection, before anything is read; returning 'pause' stops reading from it. */
  onConnection?: (broker: number, socket: Socket) => 'read' | 'pause';
  /** Raw bytes to answer every request with, instead of Kafka (a server that is not a broker). */
  rawAnswer?: Buffer;
  /**
   * SASL: the mechanisms SaslHandshake offers, and what the broker says to each SaslAuthenticate token: null
   * to accept it, else its refusal (a challenge, and SASL_AUTHENTICATION_FAILED on the next token).
   */
  sasl?: { mechanisms: string[]; check(token: Buffer): string | null };
  /** The [apiKey, min, max] ranges ApiVersions advertises (default: Produce 3..9, Metadata 1..12, ApiVersions 0..3, InitProducerId 0..4). */
  versions?: readonly (readonly [apiKey: number, min: number, max: number])[];
}

/** What a broker of Kafka 4.x advertises for the APIs a producer uses (KIP-896 dropped the older versions). */
export const KAFKA_4_VERSIONS = [
  [0, 3, 12],
  [3, 0, 13],
  [17, 0, 1],
  [18, 0, 4],
  [22, 0, 5],
  [36, 0, 2],
] as const;

export interface FakeCluster {
  /** "127.0.0.1:port" per broker, node ids 1..n in order. */
  readonly brokers: string[];
  /** Node ids Metadata lists (default all). */
  listed: number[];
  /** Leader node id of every partition (default 1). */
  leader: number;
  partitions: number;
  /** Connections each broker accepted so far. */
  accepted(broker: number): number;
  /** Connections each broker has open now. */
  open(broker: number): number;
  produced: ProduceRequest[];
  /**
   * Records stored per "topic/partition". Batches of an idempotent producer are checked as a Kafka broker
   * checks them: one already stored (among the producer's last 5) answers DUPLICATE_SEQUENCE_NUMBER and is
   * not stored again; one that does not follow the last answers OUT_OF_ORDER_SEQUENCE_NUMBER.
   */
  stored: Map<string, number>;
  /** [apiKey, version] of every request, in the order they came. */
  requests: [apiKey: number, version: number][];
  /** Every SaslAuthenticate token received. */
  saslTokens: Buffer[];
  close(): Promise<void>;
}

export async function startFakeCluster(count: number, options: FakeBrokerOptions = {}): Promise<FakeCluster> {
  const servers: Server[] = [];
  const ports: number[] = [];
  const accepted: number[] = [];
  const sockets: Set<Socket>[] = [];
  const cluster: FakeCluster = {
    brokers: [],
    listed: [],
    leader: 1,
    partitions: 1,
    accepted: (broker) => accepted[broker - 1] ?? 0,
    open: (broker) => sockets[broker - 1]?.size ?? 0,
    produced: [],
    requests: [],
    saslTokens: [],
    stored: new Map(),
    async close() {
      for (const set of sockets) for (const socket of set) socket.destroy();
      for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  for (let i = 0; i < count; i++) {
    const nodeId = i + 1;
    accepted.push(0);
    const open = new Set<Socket>();
    sockets.push(open);
    const server = createServer((socket) => {
      accepted[i] = (accepted[i] ?? 0) + 1;
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => open.delete(socket));
      if (options.onConnection?.(nodeId, socket) === 'pause') {
        socket.pause();
        return;
      }
      socket.on(
        'data',
        framer((frame) => {
          if (options.rawAnswer) socket.write(options.rawAnswer);
          else answer(nodeId, frame.subarray(4), socket);
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    servers.push(server);
    ports.push(address.port);
    cluster.brokers.push(`127.0.0.1:${address.port}`);
    cluster.listed.push(nodeId);
  }

  function answer(nodeId: number, frame: Buffer, socket: Socket): void {
    const r = new Cursor(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.string(); // client id
    cluster.requests.push([apiKey, version]);
    const out = new Out();
    out.int32(correlationId);
    if (apiKey === 18) {
      // ApiVersions v0
      out.int16(0);
      const ranges = options.versions ?? [
        [0, 3, 9],
        [3, 1, 12],
        [17, 0, 1],
        [18, 0, 3],
        [22, 0, 4],
        [36, 0, 2],
      ];
      out.int32(ranges.length);
      for (const [key, min, max] of ranges) {
        out.int16(key as number);
        out.int16(min as number);
        out.int16(max as number);
      }
    } else if (apiKey === 3) {
      const topics: string[] = [];
      const n = r.int32();
      for (let t = 0; t < n; t++) topics.push(r.string());
      if (version >= 3) out.int32(0); // throttle
      out.int32(cluster.listed.length);
      for (const id of cluster.listed) {
        out.int32(id);
        out.string('127.0.0.1');
        out.int32(ports[id - 1] as number);
        out.string(null);
      }
      if (version >= 2) out.string('fake');
      out.int32(1); // controller
      out.int32(topics.length);
      for (const topic of topics) {
        out.int16(0);
        out.string(topic);
        out.int8(0);
        out.int32(cluster.partitions);
        for (let p = 0; p < cluster.partitions; p++) {
          out.int16(0);
          out.int32(p);
          out.int32(cluster.leader);
          if (version >= 7) out.int32(0); // leader epoch
          out.int32(1);
          out.int32(cluster.leader);
          out.int32(1);
          out.int32(cluster.leader);
          if (version >= 5) out.int32(0); // offline replicas
        }
        if (version >= 8) out.int32(0); // topic authorized operations
      }
      if (version >= 8) out.int32(0); // cluster authorized operations
    } else if (apiKey === 0) {
      r.nullableString(); // transactional id
      const acks = r.int16();
      r.int32(); // timeout
      const partitions = new Map<string, number[]>();
      const batches = new Map<string, BatchHead>();
      const codes = new Map<string, number>();
      const topics = r.int32();
      for (let t = 0; t < topics; t++) {
        const topic = r.string();
        const list: number[] = [];
        const count = r.int32();
        for (let p = 0; p < count; p++) {
          const partition = r.int32();
          list.push(partition);
          const head = batchHead(r.bytes(r.int32()));
          const key = `${topic}/${partition}`;
          batches.set(key, head);
          codes.set(key, store(key, head));
        }
        partitions.set(topic, list);
      }
      const request = { broker: nodeId, version, acks, partitions, batches };
      cluster.produced.push(request);
      const action = options.onProduce?.(request, socket) ?? 'answer';
      if (action === 'close') {
        socket.destroy();
        return;
      }
      if (action === 'ignore' || acks === 0) return;
      out.int32(partitions.size);
      for (const [topic, list] of partitions) {
        out.string(topic);
        out.int32(list.length);
        for (const p of list) {
          out.int32(p);
          out.int16(codes.get(`${topic}/${p}`) ?? 0);
          out.int64(0);
          out.int64(-1);
          if (version >= 5) out.int64(0); // log start offset
          if (version >= 8) {
            out.int32(0); // record errors
            out.string(null); // error message
          }
        }
      }
      out.int32(0); // throttle
    } else if (apiKey === 17) {
      // SaslHandshake v0..v1
      const mechanism = r.string();
      const offered = options.sasl?.mechanisms ?? [];
      out.int16(offered.includes(mechanism) ? 0 : 33);
      out.int32(offered.length);
      for (const m of offered) out.string(m);
    } else if (apiKey === 36) {
      // SaslAuthenticate v0..v1: one token; a refusal is a challenge, then a failure on the client's next token.
      const token = r.bytes(r.int32());
      cluster.saslTokens.push(Buffer.from(token));
      const refusing = refusals.get(socket);
      const refusal = refusing ?? options.sasl?.check(token) ?? null;
      out.int16(refusing === undefined ? 0 : 58);
      out.string(refusing ?? null);
      const challenge = refusing === undefined && refusal !== null ? Buffer.from(refusal) : Buffer.alloc(0);
      out.int32(challenge.length);
      out.bytes(challenge);
      if (version >= 1) out.int64(0); // session lifetime: none
      if (refusing === undefined && refusal !== null) refusals.set(socket, refusal);
    } else if (apiKey === 22) {
      // InitProducerId v0..v1
      out.int32(0); // throttle
      out.int16(0);
      out.int64(1000 + nodeId);
      out.int16(0);
    } else {
      socket.destroy();
      return;
    }
    socket.write(out.frame());
  }

  /** Connections whose SASL token was refused: the next token fails the exchange with this reason. */
  const refusals = new WeakMap<Socket, string>();

  /** Per "topic/partition" and producer id: the base sequences of its last 5 batches, and the next one. */
  const sequences = new Map<string, { recent: number[]; next: number }>();

  /** Stores a batch as a broker would; the partition's error code (0 stored, 46 duplicate, 45 out of order). */
  function store(key: string, head: BatchHead): number {
    if (head.producerId >= 0) {
      const id = `${key}#${head.producerId}/${head.producerEpoch}`;
      const state = sequences.get(id) ?? { recent: [], next: 0 };
      if (state.recent.includes(head.baseSequence)) return 46;
      if (head.baseSequence !== state.next) return 45;
      state.recent = [...state.recent, head.baseSequence].slice(-5);
      state.next = head.baseSequence + head.records;
      sequences.set(id, state);
    }
    cluster.stored.set(key, (cluster.stored.get(key) ?? 0) + head.records);
    return 0;
  }

  return cluster;
}

/** The producer fields of one RecordBatch (v2): after baseOffset..maxTimestamp, then the record count. */
function batchHead(batch: Buffer): BatchHead {
  return {
    producerId: Number(batch.readBigInt64BE(43)),
    producerEpoch: batch.readInt16BE(51),
    baseSequence: batch.readInt32BE(53),
    records: batch.readInt32BE(57),
  };
}

class Cursor {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  int16(): number {
    this.at += 2;
    return this.buf.readInt16BE(this.at - 2);
  }
  int32(): number {
    this.at += 4;
    return this.buf.readInt32BE(this.at - 4);
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    this.at += n;
    return this.buf.toString('utf8', this.at - n, this.at);
  }
  string(): string {
    return this.nullableString() ?? '';
  }
  bytes(n: number): Buffer {
    this.at += n;
    return this.buf.subarray(this.at - n, this.at);
  }
}

class Out {
  private readonly parts: Buffer[] = [];
  int8(v: number): void {
    this.parts.push(Buffer.from([v & 0xff]));
  }
  int16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
  }
  int32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
  }
  int64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
  }
  bytes(b: Buffer): void {
    this.parts.push(b);
  }
  string(s: string | null): void {
    if (s === null) {
      this.int16(-1);
      return;
    }
    this.int16(Buffer.byteLength(s));
    this.parts.push(Buffer.from(s));
  }
  frame(): Buffer {
    const body = Buffer.concat(this.parts);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }
}
