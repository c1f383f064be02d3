// Printing results: aligned tables for people, JSON for scripts (bigints as
// numbers when they fit, else strings), and progress lines on stderr that only
// a terminal gets.
import { table as plainTable } from '../table.js';

/** bin/table.ts's table, with null cells shown as '-' and a final newline. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | bigint | null)[])[]): string {
  return `${plainTable(headers, rows.map((r) => r.map((c) => (c === null ? '-' : String(c)))))}\n`;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

/** A progress line rewritten in place on a terminal, at most every 200 ms; nothing when stderr is not a terminal. */
export class Progress {
  private last = 0;
  private shown = false;

  update(text: string): void {
    if (!process.stderr.isTTY) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(`\r\x1b[K${text}`);
  }

  /** Clears the line and prints the summary (on every stderr). */
  done(summary: string): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${summary}\n`);
  }
}
