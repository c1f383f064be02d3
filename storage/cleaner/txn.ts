// Transaction bookkeeping of one cleaning pass (Kafka's CleanedTransactionMetadata).
// Walking the log in offset order, it tells the filter which transactional
// batches belong to an aborted transaction (discardable) and which markers
// may go: an ABORT or COMMIT marker stays while this pass saw data of its
// transaction (the data must be cleaned away first), and a kept ABORT marker's
// entry is carried into the cleaned segment's .txnindex.

import type { AbortedTxn } from '../txn-index.js';

export class CleanedTxnState {
  /** Aborted transactions not yet reached, by firstOffset. */
  private readonly pending: AbortedTxn[];
  private next = 0;
  private readonly ongoingCommitted = new Set<number>();
  /** producerId -> the aborted transaction being walked, and whether its data was seen. */
  private readonly ongoingAborted = new Map<number, { txn: AbortedTxn; seen: boolean }>();
  /** ABORT markers kept by this pass, for the cleaned segment's .txnindex (drained by the writer). */
  keptAborts: AbortedTxn[] = [];

  constructor(aborted: readonly AbortedTxn[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private consumeUpTo(offset: number): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= offset) {
      const t = this.pending[this.next++]!;
      this.ongoingAborted.set(t.producerId, { txn: t, seen: false });
    }
  }

  /** A data batch: true when it belongs to an aborted transaction (discardable). */
  onDataBatch(producerId: number, lastOffset: number, transactional: boolean): boolean {
    this.consumeUpTo(lastOffset);
    if (!transactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted) {
      aborted.seen = true;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /**
   * A control batch (`commit` null: no end-transaction marker in it, an empty
   * or unknown control batch). True when the marker may be discarded.
   */
  onControlBatch(producerId: number, lastOffset: number, commit: boolean | null, empty: boolean): boolean {
    this.consumeUpTo(lastOffset);
    if (empty) return true;
    if (commit === null) return false;
    if (commit) return !this.ongoingCommitted.delete(producerId);
    const aborted = this.ongoingAborted.get(producerId);
    this.ongoingAborted.delete(producerId);
    if (aborted?.seen) {
      this.keptAborts.push(aborted.txn);
      return false;
    }
    return true;
  }
}
