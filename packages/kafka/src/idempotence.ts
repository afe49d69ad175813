import type { PartitionBatch } from './protocol/produce.js';

/** A producer id and epoch from InitProducerId. */
export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

/** One partition's sequence numbers under one producer id, and its batches not yet settled. */
interface Lane {
  next: number;
  unresolved: Set<Ticket>;
}

interface Ticket {
  lane: Lane;
  generation: number;
  /** Resolves once the batch succeeded or its send gave up on it. */
  settled: Promise<void>;
  settle: () => void;
}

const SEQUENCE_WRAP = 0x8000_0000; // sequence numbers are int32 and wrap to 0

/**
 * The idempotent producer's bookkeeping, as the Java client keeps it: one producer id and epoch, and per
 * partition the next sequence number. A batch takes its sequence numbers once and keeps them on every try,
 * so a broker that already stored it answers DUPLICATE_SEQUENCE_NUMBER instead of storing it twice.
 *
 * A batch that fails for good leaves a gap the broker would refuse (OUT_OF_ORDER_SEQUENCE_NUMBER) and an
 * unknown outcome: the producer then takes a new producer id (`reset`), and batches still in flight under the
 * old one take new sequence numbers (`restamp`) when they are tried again.
 */
export class Idempotence {
  private identity: ProducerIdentity | undefined;
  private initializing: Promise<void> | undefined;
  private generation = 0;
  private lanes = new Map<string, Lane>();
  private readonly tickets = new WeakMap<PartitionBatch, Ticket>();

  constructor(private readonly init: () => Promise<ProducerIdentity>) {}

  /** Gets a producer id (InitProducerId) unless there is one; concurrent callers share the request. */
  ready(): Promise<void> {
    if (this.identity) return Promise.resolve();
    this.initializing ??= this.init()
      .then((identity) => {
        this.identity = identity;
      })
      .finally(() => {
        this.initializing = undefined;
      });
    return this.initializing;
  }

  /** Gives `batch` the current producer id and its partition's next sequence numbers (after `ready`). */
  stamp(batch: PartitionBatch): void {
    const identity = this.identity;
    if (!identity) throw new Error('Idempotence.stamp before ready');
    const key = `${batch.topic}\0${batch.partition}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { next: 0, unresolved: new Set() };
      this.lanes.set(key, lane);
    }
    this.tickets.get(batch)?.settle();
    batch.producer = { ...identity, baseSequence: lane.next };
    lane.next = (lane.next + batch.records.length) % SEQUENCE_WRAP;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const ticket: Ticket = { lane, generation: this.generation, settled, settle };
    ticket.settle = () => {
      lane.unresolved.delete(ticket);
      settle();
    };
    lane.unresolved.add(ticket);
    this.tickets.set(batch, ticket);
  }

  /** Whether `batch` was stamped under the producer id in use now (else it needs `restamp`). */
  current(batch: PartitionBatch): boolean {
    return this.tickets.get(batch)?.generation === this.generation;
  }

  /** Takes a new producer id and sequence numbers for a batch stamped under an id given up since. */
  async restamp(batch: PartitionBatch): Promise<void> {
    await this.ready();
    this.stamp(batch);
  }

  /** Whether a batch of the same partition, stamped before `batch`, has not settled yet. */
  hasEarlier(batch: PartitionBatch): boolean {
    return this.earlier(batch).length > 0;
  }

  /** Resolves once every batch of the same partition stamped before `batch` has settled. */
  async afterEarlier(batch: PartitionBatch): Promise<void> {
    await Promise.all(this.earlier(batch).map((t) => t.settled));
  }

  settle(batch: PartitionBatch): void {
    this.tickets.get(batch)?.settle();
  }

  /** Gives up the producer id `batch` was stamped under (if still in use): the next batch gets a new one. */
  reset(batch: PartitionBatch): void {
    if (!this.current(batch)) return;
    this.generation++;
    this.identity = undefined;
    this.lanes = new Map();
  }

  private earlier(batch: PartitionBatch): Ticket[] {
    const ticket = this.tickets.get(batch);
    if (!ticket) return [];
    const out: Ticket[] = [];
    // A Set iterates in insertion order: the tickets before this one were stamped before it.
    for (const t of ticket.lane.unresolved) {
      if (t === ticket) break;
      out.push(t);
    }
    return out;
  }
}
