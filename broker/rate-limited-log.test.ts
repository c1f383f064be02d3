// Issue 7, item 6: lines that repeat per failure are rate-limited per cause with
// a count of what was suppressed. Unit-tested with a hand-driven clock, and over
// real TCP: a flood of connections closed for the same reason logs one line.
import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { connect } from 'node:net';
import pino from 'pino';
import { RateLimitedLog } from './rate-limited-log.js';
import { startBroker } from './broker.js';
import { MemoryFileSystem } from '../storage/fs-memory.js';
import { RawClient } from '../test/support/raw-client.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { buildRecordBatchSync } from '../protocol/record-batch.js';

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}

const flushed = () => new Promise((r) => setImmediate(r));

describe('RateLimitedLog', () => {
  it('lets one line per cause per interval through and counts the rest', async () => {
    let now = 0;
    const { lines, logger } = capture();
    const rl = new RateLimitedLog(1000, () => now);
    for (let i = 0; i < 5; i++) rl.log(logger, 'error', 'disk full', { i }, 'write failed');
    rl.log(logger, 'error', 'other cause', {}, 'something else');
    now = 999;
    expect(rl.log(logger, 'error', 'disk full', {}, 'write failed')).toBe(false);
    now = 1000;
    expect(rl.log(logger, 'error', 'disk full', {}, 'write failed')).toBe(true);
    await flushed();
    expect(lines.map((l) => [l.msg, l.suppressed])).toEqual([
      ['write failed', undefined],
      ['something else', undefined],
      ['write failed (5 more like this suppressed)', 5],
    ]);
  });
});

describe('issue 7: connections closed for the same reason', () => {
  it('log one line for a flood of them', async () => {
    const { lines, logger } = capture('warn');
    const broker = await startBroker({ logger });
    try {
      const closes = Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const s = connect({ host: broker.host, port: broker.port }, () => {
              const frame = Buffer.alloc(4);
              frame.writeInt32BE(-1, 0); // a negative size prefix: closed at once
              s.write(frame);
            });
            s.on('error', () => {});
            s.on('close', () => resolve());
          }),
      );
      await Promise.all(closes);
      await flushed();
      const closing = lines.filter((l) => l.msg === 'closing connection');
      expect(closing).toHaveLength(1);
      expect(String(closing[0].reason)).toMatch(/^request size -1 is outside/);
    } finally {
      await broker.close();
    }
  });
});

describe('issue 7: a disk that fails every write', () => {
  it('logs each storage error once, not once per failed write', async () => {
    const { lines, logger } = capture('warn');
    const fs = new MemoryFileSystem();
    const broker = await startBroker({ logger, fs });
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      await c.request(CreateTopicsApi, 5, { topics: [{ name: 'full', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      const codes: number[] = [];
      for (let i = 0; i < 10; i++) {
        fs.failNextWrite({ path: /\/full-0\/\d{20}\.log$/ });
        const res = await c.request(ProduceApi, 9, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: 'full', partitionData: [{ index: 0, records: buildRecordBatchSync({ records: [{ value: Buffer.from(`v${i}`), timestamp: Date.now() }] }) }] }],
        });
        codes.push(res.responses[0].partitionResponses[0].errorCode);
        await broker.logs.log('full', 0)?.whenSettled();
      }
      expect(codes.every((code) => code !== 0)).toBe(true);
      await flushed();
      const errors = lines.filter((l) => l.level === 50).map((l) => String(l.msg));
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set(errors).size).toBe(errors.length);
    } finally {
      c.close();
      await broker.close();
    }
  });
});
