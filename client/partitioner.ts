// Kafka's default partitioner: a keyed record goes to
// toPositive(murmur2(key)) % partitions, so the same key lands on the same
// partition as with the Java client (and kafkajs' default partitioner).
// Unkeyed records stick to one partition per batch and move on to the next
// partition with the next batch (Kafka's sticky partitioning, per batch).

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's Utils.murmur2, as a signed 32-bit int. */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Partition choice for a stream of records split into batches. */
export class Partitioner {
  private sticky: number;

  constructor(private readonly partitions: number) {
    this.sticky = Math.floor(Math.random() * partitions);
  }

  partition(key: Buffer | null): number {
    return key === null ? this.sticky : partitionForKey(key, this.partitions);
  }

  /** Unkeyed records of the next batch go to the next partition. */
  nextBatch(): void {
    this.sticky = (this.sticky + 1) % this.partitions;
  }
}
