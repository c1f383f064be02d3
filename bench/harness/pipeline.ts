// The pipelined raw client: one connection keeping `depth` pre-encoded requests
// in flight, cycling through its frames, splitting the answers into frames
// without copying and checking a sample of them. The load generator of the
// protocol-level benches: cheap enough that the broker is what is measured.
import { connect, type Socket } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PipelineOptions {
  /** Requests in flight. */
  depth: number;
  /** Requests to send in all (default: until stop()). */
  limit?: number;
  /** Checks a kept answer frame (without its size); a string is a problem. */
  check: (frame: Buffer) => string | null;
  /** Keep (and check) every `sampleEvery`-th answer (default 64), and the first `sampleFirst` (default 1). */
  sampleEvery?: number;
  sampleFirst?: number;
}

/**
 * Splits a response stream into frames (without their size prefix) without
 * copying; keeps (copies when split across chunks) only the frames `keep(n)` asks for.
 */
export class FrameSplitter {
  frames = 0;
  bytes = 0;
  private sizeBuf = Buffer.alloc(4);
  private sizeHave = 0;
  private left = -1;
  private parts: Buffer[] | null = null;

  constructor(
    private readonly keep: (n: number) => boolean,
    private readonly onFrame: (frame: Buffer | null) => void,
  ) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.left < 0) {
        while (this.sizeHave < 4 && pos < chunk.length) this.sizeBuf[this.sizeHave++] = chunk[pos++]!;
        if (this.sizeHave < 4) return;
        this.sizeHave = 0;
        this.left = this.sizeBuf.readInt32BE(0);
        this.parts = this.keep(this.frames) ? [] : null;
        if (this.left === 0) this.finish();
        continue;
      }
      const take = Math.min(this.left, chunk.length - pos);
      this.parts?.push(chunk.subarray(pos, pos + take));
      pos += take;
      this.left -= take;
      if (this.left === 0) this.finish();
    }
  }

  private finish(): void {
    const parts = this.parts;
    this.parts = null;
    this.left = -1;
    this.frames++;
    this.onFrame(parts ? (parts.length === 1 ? parts[0]! : Buffer.concat(parts)) : null);
  }
}

export class Pipeline {
  responses = 0;
  errors = 0;
  firstError = '';
  private inflight = 0;
  private sent = 0;
  private next = 0;
  private running = true;
  private drained: (() => void) | null = null;
  private readonly splitter: FrameSplitter;

  private constructor(
    private readonly socket: Socket,
    private readonly frames: Buffer[],
    private readonly depth: number,
    private readonly limit: number,
    private readonly check: (frame: Buffer) => string | null,
    sampleEvery: number,
    sampleFirst: number,
  ) {
    this.splitter = new FrameSplitter((n) => n < sampleFirst || n % sampleEvery === 0, (f) => this.finish(f));
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.splitter.push(c));
    socket.on('error', () => {});
  }

  static async open(port: number, frames: Buffer[], opts: PipelineOptions): Promise<Pipeline> {
    const socket = await new Promise<Socket>((res, rej) => {
      const s = connect({ host: '127.0.0.1', port }, () => res(s));
      s.once('error', rej);
    });
    return new Pipeline(socket, frames, opts.depth, opts.limit ?? Infinity, opts.check, opts.sampleEvery ?? 64, opts.sampleFirst ?? 1);
  }

  /** Bytes received (answers, size prefixes included). */
  get bytesIn(): number {
    return this.splitter.bytes;
  }

  start(): void {
    this.fill();
  }

  /** Resolves once `limit` requests were answered (or, after stop(), what was in flight). */
  done(): Promise<void> {
    if (this.inflight === 0 && (this.sent >= this.limit || !this.running)) return Promise.resolve();
    return new Promise((r) => (this.drained = r));
  }

  /** Stops sending, waits (a while) for what is in flight, closes. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.inflight > 0) await Promise.race([this.done(), sleep(10_000)]);
    this.socket.destroy();
  }

  private fill(): void {
    if (!this.running) return;
    if (this.inflight >= this.depth || this.sent >= this.limit) return;
    this.socket.cork();
    while (this.inflight < this.depth && this.sent < this.limit) {
      this.socket.write(this.frames[this.next]!);
      this.next = (this.next + 1) % this.frames.length;
      this.inflight++;
      this.sent++;
    }
    this.socket.uncork();
  }

  private finish(frame: Buffer | null): void {
    this.responses++;
    this.inflight--;
    if (frame) {
      const problem = this.check(frame);
      if (problem) {
        this.errors++;
        this.firstError ||= problem;
      }
    }
    this.fill();
    if (this.inflight === 0 && (this.sent >= this.limit || !this.running)) this.drained?.();
  }
}
