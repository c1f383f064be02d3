// The broker-wide bound on requests held in memory, as Kafka's request queue
// (`queued.max.requests`) and memory pool (`queued.max.request.bytes`, KIP-72).
// A connection reserves a request's full size when it reads the size prefix and
// gives it back when the request is answered; while the budget is spent no
// connection reads a new request, and the waiting ones are woken first come,
// first served as requests are answered.

export class RequestBudget {
  private requests = 0;
  private bytes = 0;
  private readonly waiters = new Set<() => void>();
  private waking = false;

  /** maxBytes < 0 means unbounded (Kafka's -1). */
  constructor(
    readonly maxRequests: number,
    readonly maxBytes: number,
  ) {}

  /** True when a new request may be read. Like Kafka's pool, one request may take the budget past its bytes. */
  get available(): boolean {
    return this.requests < this.maxRequests && (this.maxBytes < 0 || this.bytes < this.maxBytes);
  }

  get held(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytes };
  }

  acquire(bytes: number): void {
    this.requests++;
    this.bytes += bytes;
  }

  release(requests: number, bytes: number): void {
    this.requests -= requests;
    this.bytes -= bytes;
    this.wake();
  }

  /** Calls `resume` once when the budget has room again (a connection registers once). */
  wait(resume: () => void): void {
    this.waiters.add(resume);
  }

  cancel(resume: () => void): void {
    this.waiters.delete(resume);
  }

  private wake(): void {
    if (this.waking) return;
    this.waking = true;
    try {
      for (const resume of this.waiters) {
        if (!this.available) break;
        this.waiters.delete(resume);
        resume();
      }
    } finally {
      this.waking = false;
    }
  }
}
