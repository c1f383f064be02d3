// Promises waiting for an offset level (written, durable), kept in offset order
// and resolved or rejected in bulk when the level passes them.

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Waiters ordered by offset; resolved in bulk when a level passes them. */
export class OffsetWaiters {
  private items: Waiter[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  add(offset: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = { offset, resolve, reject };
      const n = this.items.length;
      if (n === this.head || this.items[n - 1]!.offset <= offset) this.items.push(w);
      else {
        let i = n;
        while (i > this.head && this.items[i - 1]!.offset > offset) i--;
        this.items.splice(i, 0, w);
      }
    });
  }

  resolveUpTo(level: number): void {
    while (this.head < this.items.length && this.items[this.head]!.offset <= level) {
      const w = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Waiter;
      w.resolve();
    }
    this.compact();
  }

  rejectAll(e: Error): void {
    const list = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    for (const w of list) w.reject(e);
  }

  /** Rejects the waiters at or below `level`; later ones keep waiting. */
  rejectUpTo(level: number, e: Error): void {
    while (this.head < this.items.length && this.items[this.head]!.offset <= level) {
      const w = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Waiter;
      w.reject(e);
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
