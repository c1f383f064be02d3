// One TCP connection to one broker: 4-byte size frames, request headers,
// correlation ids matched to answers, a timeout per request, and ApiVersions
// negotiation when it opens. Kafka answers requests on a connection in order, so
// an answer for an id we are not waiting for means the stream is broken: the
// connection is closed and every waiter fails.
import { connect, type Socket } from 'node:net';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import type { ApiCodec, EncodeInput } from '../protocol/codec-runtime.js';
import { ApiVersionsApi, type ApiVersionsResponse } from '../protocol/messages/18-api-versions.js';
import { writeRequestHeader } from '../protocol/messages/data/request-header.js';
import { readResponseHeader } from '../protocol/messages/data/response-header.js';
import { ErrorCode } from '../protocol/errors.js';
import { ConnectionError, KafkaError, ProtocolError } from './errors.js';
import { pickVersion, type BrokerVersions, type VersionRange } from './versions.js';

export interface ConnectionOptions {
  readonly clientId: string;
  /** For connecting and for each request. */
  readonly timeoutMs: number;
  /** ApiVersions v3+ identify the client software. */
  readonly softwareName: string;
  readonly softwareVersion: string;
}

/** Largest answer frame accepted (a fetch answer is bounded by the max bytes we ask for). */
const MAX_FRAME_BYTES = 256 * 1024 * 1024;

const isFlexible = (api: ApiCodec<unknown, unknown>, v: number): boolean =>
  api.firstFlexibleVersion >= 0 && v >= api.firstFlexibleVersion;

interface Pending {
  readonly apiName: string;
  readonly decode: (frame: Buffer) => void;
  readonly fail: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Connection {
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedWith: Error | null = null;
  private versions: BrokerVersions = new Map();

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly options: ConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new ConnectionError(`connection to ${address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${address} closed by the broker`)));
  }

  /** Connects and negotiates API versions. */
  static async open(host: string, port: number, options: ConnectionOptions): Promise<Connection> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`cannot connect to ${address}: no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectionError(`cannot connect to ${address}: ${err.code ?? err.message}`));
      });
    });
    const conn = new Connection(socket, address, options);
    try {
      await conn.negotiate();
    } catch (e) {
      conn.close();
      throw e;
    }
    return conn;
  }

  /** The broker's version range for an API key, if it serves it. */
  brokerRange(apiKey: number): VersionRange | undefined {
    return this.versions.get(apiKey);
  }

  /** The version this connection uses for `api` (at least `floor`). */
  version(api: ApiCodec<unknown, unknown>, floor?: number): number {
    return pickVersion(api, this.versions, floor);
  }

  /** Sends at the negotiated version (at least `floor`). */
  request<Req, Res>(api: ApiCodec<Req, Res>, body: EncodeInput<Req>, floor?: number): Promise<Res> {
    return this.send(api, this.version(api, floor), body);
  }

  /**
   * Sends at a given version and resolves with the decoded answer. `timeoutMs`
   * overrides the connection's for requests the broker may park (JoinGroup).
   */
  send<Req, Res>(api: ApiCodec<Req, Res>, version: number, body: EncodeInput<Req>, timeoutMs = this.options.timeoutMs): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const frame = this.encode(api, version, body, reject);
      if (frame === null) return;
      const correlationId = frame.readInt32BE(8); // after size, api key and version
      const timer = setTimeout(() => {
        // Kafka clients give up on the connection when a request times out.
        this.fail(new ConnectionError(`${api.name} request to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, {
        apiName: api.name,
        timer,
        fail: reject,
        decode: (resp) => {
          const r = new Reader(resp);
          // ApiVersions answers always carry header v0, so a client can read them before it knows versions.
          readResponseHeader(r, api.apiKey !== ApiVersionsApi.apiKey && isFlexible(api, version) ? 1 : 0);
          resolve(api.response.read(r, version));
        },
      });
      this.socket.write(frame);
    });
  }

  /** Sends a request the broker does not answer (Produce with acks=0). */
  sendNoAnswer<Req>(api: ApiCodec<Req, unknown>, body: EncodeInput<Req>, floor?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const frame = this.encode(api, this.version(api, floor), body, reject);
      if (frame === null) return;
      this.socket.write(frame, (err) => (err ? reject(new ConnectionError(`write to ${this.address} failed: ${err.message}`)) : resolve()));
    });
  }

  close(): void {
    this.fail(new ConnectionError(`connection to ${this.address} closed`));
  }

  private encode<Req>(api: ApiCodec<Req, unknown>, version: number, body: EncodeInput<Req>, reject: (e: Error) => void): Buffer | null {
    if (this.closedWith !== null) {
      reject(this.closedWith);
      return null;
    }
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(
      w,
      { requestApiKey: api.apiKey, requestApiVersion: version, correlationId: this.nextCorrelationId++, clientId: this.options.clientId },
      isFlexible(api, version) ? 2 : 1,
    );
    api.request.write(w, body, version);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return frame;
  }

  private async negotiate(): Promise<void> {
    let version = ApiVersionsApi.maxVersion;
    for (;;) {
      let res: ApiVersionsResponse;
      try {
        res = await this.send(ApiVersionsApi, version, {
          clientSoftwareName: this.options.softwareName,
          clientSoftwareVersion: this.options.softwareVersion,
        });
      } catch (e) {
        if (e instanceof ProtocolError && version > 0) {
          // A broker that does not know our version answers with a v0 body.
          version = 0;
          continue;
        }
        throw e;
      }
      const ranges = new Map(res.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && version > 0) {
        const theirs = ranges.get(ApiVersionsApi.apiKey);
        const next = Math.min(version - 1, theirs?.maxVersion ?? 0);
        version = next;
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `ApiVersions to ${this.address}`);
      this.versions = ranges;
      return;
    }
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [head];
      const size = head.readInt32BE(0);
      if (size < 4 || size > MAX_FRAME_BYTES) {
        this.fail(new ProtocolError(`broker ${this.address} sent a frame of ${size} bytes`));
        return;
      }
      if (head.length < 4 + size) return;
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const correlationId = frame.readInt32BE(0);
      const waiter = this.pending.get(correlationId);
      if (waiter === undefined) {
        this.fail(new ProtocolError(`broker ${this.address} answered correlation id ${correlationId}, which no request carries`));
        return;
      }
      this.pending.delete(correlationId);
      clearTimeout(waiter.timer);
      try {
        waiter.decode(frame);
      } catch (e) {
        waiter.fail(new ProtocolError(`cannot decode the ${waiter.apiName} answer from ${this.address}: ${(e as Error).message}`));
      }
    }
  }

  private fail(err: Error): void {
    if (this.closedWith !== null) return;
    this.closedWith = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.fail(err);
    }
    this.pending.clear();
    this.socket.destroy();
  }
}
