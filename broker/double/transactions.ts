// waitForTransaction: what a test awaits instead of polling the transaction
// coordinator, e.g. the markers of a commit written (CompleteCommit) before the
// next transaction starts, or an abort by the timeout timer. It listens to the
// coordinator's changes; no polling.
import type { TransactionCoordinator } from '../transactions/coordinator.js';
import type { TxnMetadata, TxnState } from '../transactions/state.js';
import { DEFAULT_WAIT_MS } from './wait.js';

/** What waitForTransaction watches. */
export type TxnWatch = Pick<TransactionCoordinator, 'metadata' | 'onTransactionChange'>;

export interface WaitForTransactionOptions {
  /** Also require this producer epoch (a fenced or timed-out transaction is aborted at the bumped one). */
  readonly producerEpoch?: number;
  /** Default DEFAULT_WAIT_MS (4 s), below a test runner's 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Resolves with the id's metadata once the coordinator holds it in `state`;
 * 'Dead' resolves (with undefined) once the coordinator holds no such id: it
 * expired, or was never initialised. The answer is released one turn of the
 * event loop later, after the client's own answer has been written.
 */
export function waitForTransaction(coordinator: TxnWatch, transactionalId: string, state: 'Dead', opts?: WaitForTransactionOptions): Promise<undefined>;
export function waitForTransaction(coordinator: TxnWatch, transactionalId: string, state: TxnState, opts?: WaitForTransactionOptions): Promise<TxnMetadata>;
export function waitForTransaction(
  coordinator: TxnWatch,
  transactionalId: string,
  state: TxnState,
  opts: WaitForTransactionOptions = {},
): Promise<TxnMetadata | undefined> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  const matches = (m: TxnMetadata | undefined): boolean => {
    if (state === 'Dead') return m === undefined;
    return m !== undefined && m.state === state && (opts.producerEpoch === undefined || m.producerEpoch === opts.producerEpoch);
  };
  return new Promise((resolve, reject) => {
    const finish = (m: TxnMetadata | undefined) => {
      clearTimeout(timer);
      unsubscribe();
      setImmediate(() => resolve(m));
    };
    const unsubscribe = coordinator.onTransactionChange((id, m) => {
      if (id === transactionalId && matches(m)) finish(m);
    });
    const timer = setTimeout(() => {
      unsubscribe();
      const m = coordinator.metadata(transactionalId);
      const now = m === undefined ? 'no such transactional id' : `${m.state}, producer ${m.producerId} epoch ${m.producerEpoch}`;
      const want = `${state}${opts.producerEpoch !== undefined ? ` at epoch ${opts.producerEpoch}` : ''}`;
      reject(new Error(`transactional id ${transactionalId} did not become ${want} within ${timeoutMs} ms (now: ${now})`));
    }, timeoutMs);
    const now = coordinator.metadata(transactionalId);
    if (matches(now)) finish(now);
  });
}
