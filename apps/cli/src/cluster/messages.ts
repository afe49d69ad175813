import type { GatewayFile } from '@switchyard/config';
import type { EventType, HealthStatus } from '@switchyard/shared';

/**
 * The IPC messages between the primary of `--workers` and its workers (node:cluster, advanced
 * serialisation). Every one carries `swy` so that prom-client's own messages on the same channel
 * (the `/metrics` aggregation) are told apart.
 */
export type ToWorker =
  /** Serve this file (the one in force on the primary, which may be newer than the file on disk). */
  | { swy: 'start'; config: GatewayFile; record: boolean; metrics: boolean; logsToStderr: boolean }
  /** Whether the node's consumers (admin stream, event proxy) want events now. */
  | { swy: 'record'; on: boolean }
  /** Build this file without putting it in force; answer `prepared`. */
  | { swy: 'prepare'; id: number; config: GatewayFile }
  /** Put the prepared file in force (`commit: true`) or drop it. */
  | { swy: 'settle'; id: number; commit: boolean }
  /** Finish requests in flight, forward their events, exit 0. */
  | { swy: 'stop' };

/** An event a worker built, as text: the primary gives it its node-wide id. */
export interface WorkerEvent {
  type: EventType;
  json: string;
}

export type FromWorker =
  /** The worker listens for messages now: send it `start` (one sent earlier would have been lost). */
  | { swy: 'hello' }
  /** Serving, on this port (the node's: workers share it). */
  | { swy: 'listening'; port: number }
  /** A batch of events, after `lost` events the worker could not forward (they become a gap). */
  | { swy: 'events'; events: WorkerEvent[]; lost: number }
  /**
   * The worker's own view, every STATUS_INTERVAL_MS, for `/__health` and `node_health`; `unsent`: events it
   * recorded and has not sent yet (EventForwarder.backlog), which a kill would lose.
   */
  | { swy: 'status'; inFlight: number; status: HealthStatus; unsent: number }
  | { swy: 'prepared'; id: number; error?: string }
  /** Every event of the worker's last requests was sent: it exits next. */
  | { swy: 'stopped' };

/** How often a worker tells its status. */
export const STATUS_INTERVAL_MS = 1000;

export const isSwyMessage = (m: unknown): m is { swy: string } =>
  typeof m === 'object' && m !== null && typeof (m as { swy?: unknown }).swy === 'string';
