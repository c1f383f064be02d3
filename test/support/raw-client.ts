// A minimal protocol-level client over real TCP, built on our generated codecs:
// for tests that need exact control of frames and for load generators that must
// not be the bottleneck. Responses are matched by correlation id.
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import type { ApiCodec, EncodeInput } from '../../protocol/codec-runtime.js';
import { writeRequestHeader } from '../../protocol/messages/data/request-header.js';
import { readResponseHeader } from '../../protocol/messages/data/response-header.js';

const isFlexible = (api: ApiCodec<unknown, unknown>, v: number) => api.firstFlexibleVersion >= 0 && v >= api.firstFlexibleVersion;

export class RawClient {
  private nextCorrelationId = 1;
  private pending = new Map<number, { resolve: (frame: Buffer) => void; reject: (err: Error) => void }>();
  private buf: Buffer = Buffer.alloc(0);
  /** Chunks received after `buf`, not yet joined to it. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket, readonly clientId = 'raw-client') {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        this.pending.clear();
        resolve();
      }),
    );
    socket.on('error', () => {});
  }

  static connect(host: string, port: number, clientId?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off('error', reject);
        resolve(new RawClient(s, clientId));
      });
      s.once('error', reject);
    });
  }

  /** Over TLS (`tls` gives the CA, a client certificate, ...). */
  static connectTls(host: string, port: number, tls: ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connectTls({ host, port, servername: host === '127.0.0.1' ? undefined : host, ...tls }, () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    // A big response arrives in many chunks (16 KiB ones over TLS): keep them and join once it is whole.
    this.parts.push(chunk);
    this.partsBytes += chunk.length;
    if (this.buf.length + this.partsBytes < 4) return;
    if (this.buf.length < 4 || this.buf.length + this.partsBytes >= 4 + this.buf.readInt32BE(0)) {
      this.buf = this.buf.length === 0 && this.parts.length === 1 ? this.parts[0]! : Buffer.concat([this.buf, ...this.parts]);
      this.parts = [];
      this.partsBytes = 0;
    }
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) return;
      const frame = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const cid = frame.readInt32BE(0);
      const done = this.pending.get(cid);
      this.pending.delete(cid);
      done?.resolve(frame);
    }
  }

  /** Encodes a request frame (size prefix included) without sending it. */
  encode<Req>(api: ApiCodec<Req, unknown>, version: number, body: EncodeInput<Req>, correlationId = this.nextCorrelationId++): Buffer {
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(
      w,
      { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId: this.clientId },
      isFlexible(api, version) ? 2 : 1,
    );
    api.request.write(w, body, version);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return frame;
  }

  /** Sends a request and resolves with the decoded response. */
  request<Req, Res>(api: ApiCodec<Req, Res>, version: number, body: EncodeInput<Req>): Promise<Res> {
    const correlationId = this.nextCorrelationId++;
    const frame = this.encode(api, version, body, correlationId);
    return new Promise<Res>((resolve, reject) => {
      this.pending.set(correlationId, {
        reject,
        resolve: (resp) => {
        try {
          const r = new Reader(resp);
          // ApiVersions answers always carry header v0.
          readResponseHeader(r, api.apiKey !== 18 && isFlexible(api, version) ? 1 : 0);
          resolve(api.response.read(r, version));
        } catch (err) {
          reject(err);
        }
      }});
      this.socket.write(frame);
    });
  }

  /** Sends raw bytes and resolves with the next response frame (correlation id first), if any comes. */
  rawRequest(bytes: Buffer, correlationId: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.socket.write(bytes);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
