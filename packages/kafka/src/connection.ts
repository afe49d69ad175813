import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions as TlsOptions, connect as tlsConnect } from 'node:tls';
import { KafkaConnectionError, KafkaError, KafkaProtocolError, KafkaTimeoutError } from './errors.js';
import { apiVersionsRequest, parseApiVersions } from './protocol/api-versions.js';
import { Reader } from './protocol/reader.js';
import { CORRELATION_ID_OFFSET } from './protocol/request.js';
import {
  parseSaslAuthenticate,
  parseSaslHandshake,
  saslAuthenticateRequest,
  saslHandshakeRequest,
} from './protocol/sasl.js';
import { type SaslOptions, saslSession } from './sasl.js';
import { type ApiName, type NegotiatedVersions, negotiate } from './versions.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** TLS options (ca, cert, key, rejectUnauthorized); plain TCP when absent. */
  tls?: TlsOptions | undefined;
  sasl?: SaslOptions | undefined;
  /** How long a request may wait for its answer. */
  requestTimeoutMs: number;
  /** How long connecting (TCP + TLS handshake) may take. */
  connectTimeoutMs: number;
}

/**
 * The largest answer accepted (librdkafka's receive.message.max.bytes default). A bigger size prefix is not
 * a Kafka broker talking (an HTTP server's "HTTP" reads as 1.2 GB): fail at once instead of buffering
 * until the request times out.
 */
const MAX_FRAME_BYTES = 100_000_000;

interface Pending {
  resolve(body: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One broker connection: 4-byte size framing, correlation ids, in-flight requests in a map, a timeout per
 * request. Opened with `Connection.open`, which checks the broker's API versions and authenticates.
 * A failure of any kind fails every request in flight and closes the connection for good; the cluster
 * opens a new one.
 */
export class Connection {
  readonly address: string;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: Error | undefined;
  private readonly closeListeners: (() => void)[] = [];
  /** The version of each API this broker gets (the highest both sides support), set on open. */
  versions: NegotiatedVersions = {
    produce: undefined,
    metadata: undefined,
    initProducerId: undefined,
    saslHandshake: undefined,
    saslAuthenticate: undefined,
  };

  private constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.address = `${options.host}:${options.port}`;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.fail(new KafkaConnectionError(`${this.address}: ${err.message}`, { cause: err })),
    );
    socket.on('close', () => this.fail(new KafkaConnectionError(`${this.address}: connection closed`)));
  }

  /** Connects, checks the broker's API versions, and authenticates when SASL is configured. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const socket = await connectSocket(options);
    const connection = new Connection(socket, options);
    try {
      await connection.checkVersions();
      if (options.sasl) await connection.authenticate(options.sasl);
    } catch (err) {
      connection.close();
      throw err;
    }
    return connection;
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Sends a frame (from `beginRequest`/`endRequest`) and parses its answer. `onWritten` hears when the socket
   * is done with the frame's bytes (with the error if the write failed), so that its buffer can be reused.
   */
  async request<T>(
    frame: Buffer,
    parse: (r: Reader) => T,
    timeoutMs = this.options.requestTimeoutMs,
    onWritten?: (err?: Error | null) => void,
  ): Promise<T> {
    const body = await this.exchange(frame, timeoutMs, onWritten);
    return parse(new Reader(body));
  }

  /**
   * Sends a frame that gets no answer (Produce with acks 0); resolves once the socket took it. A broker
   * that stops reading would leave the write pending for good: past the timeout the connection is dropped.
   */
  send(frame: Buffer, timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    frame.writeInt32BE(this.correlationId(), CORRELATION_ID_OFFSET);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new KafkaTimeoutError(`${this.address}: request not written out within ${timeoutMs} ms`));
        this.fail(new KafkaConnectionError(`${this.address}: dropped after a write timed out`));
      }, timeoutMs);
      this.socket.write(frame, (err) => {
        clearTimeout(timer);
        if (err) reject(this.failure ?? err);
        else resolve();
      });
    });
  }

  /** Calls `listener` once the connection is closed (at once if it already is). */
  onClose(listener: () => void): void {
    if (this.failure) listener();
    else this.closeListeners.push(listener);
  }

  /** Closes the connection; requests in flight fail with a connection error. */
  close(): void {
    this.fail(new KafkaConnectionError(`${this.address}: connection closed by the client`));
  }

  private exchange(
    frame: Buffer,
    timeoutMs: number,
    onWritten: ((err?: Error | null) => void) | undefined,
  ): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.correlationId();
    frame.writeInt32BE(id, CORRELATION_ID_OFFSET);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new KafkaTimeoutError(`${this.address}: no answer within ${timeoutMs} ms`));
        // As the Java client does: a connection that let a request time out is not trusted with the next.
        this.fail(new KafkaConnectionError(`${this.address}: dropped after a request timed out`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(frame, onWritten);
    });
  }

  private correlationId(): number {
    const id = this.nextId;
    this.nextId = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.peek4();
      const size = head.readInt32BE(0);
      if (size < 4 || size > MAX_FRAME_BYTES) {
        this.fail(new KafkaProtocolError(`${this.address}: bad frame size ${size} (is it a Kafka broker?)`));
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = this.take(4 + size);
      const id = frame.readInt32BE(4);
      const pending = this.pending.get(id);
      // An answer to a request that already timed out is dropped.
      if (!pending) continue;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(frame.subarray(8));
    }
  }

  private peek4(): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= 4) return first;
    return Buffer.concat(this.chunks, 4);
  }

  /** The next `n` buffered bytes as one Buffer (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.pending.clear();
    this.chunks = [];
    this.buffered = 0;
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private async checkVersions(): Promise<void> {
    const { errorCode, versions } = await this.request(
      apiVersionsRequest(this.options.clientId),
      parseApiVersions,
    );
    if (errorCode !== 0) throw new KafkaError(errorCode, { message: `ApiVersions from ${this.address}` });
    const required: ApiName[] = ['produce', 'metadata'];
    if (this.options.sasl) required.push('saslHandshake', 'saslAuthenticate');
    this.versions = negotiate(versions, required, this.address);
  }

  private async authenticate(options: SaslOptions): Promise<void> {
    const session = saslSession(options);
    const { clientId } = this.options;
    const handshake = await this.request(
      saslHandshakeRequest(clientId, this.versions.saslHandshake ?? 1, session.mechanism),
      parseSaslHandshake,
    );
    if (handshake.errorCode !== 0) {
      throw new KafkaError(handshake.errorCode, {
        message: `${session.mechanism} on ${this.address}; the broker offers ${handshake.mechanisms.join(', ') || 'none'}`,
      });
    }
    let token: Buffer | undefined = await session.start();
    while (token !== undefined) {
      const version = this.versions.saslAuthenticate ?? 0;
      const answer = await this.request(saslAuthenticateRequest(clientId, version, token), (r) =>
        parseSaslAuthenticate(r, version),
      );
      if (answer.errorCode !== 0) {
        throw new KafkaError(answer.errorCode, {
          message: `${session.mechanism} on ${this.address}${answer.errorMessage ? `: ${answer.errorMessage}` : ''}`,
        });
      }
      token = await session.respond(answer.token);
    }
  }
}

function connectSocket(options: ConnectionOptions): Promise<Socket> {
  const { host, port, tls, connectTimeoutMs } = options;
  const address = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket: Socket = tls
      ? tlsConnect({ ...tls, host, port, ...(isIP(host) === 0 && { servername: host }) })
      : netConnect({ host, port });
    const ready = tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new KafkaTimeoutError(`${address}: not connected within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new KafkaConnectionError(`${address}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    });
  });
}
