// The server under abuse, over real TCP: garbage, oversized and half-sent frames,
// unknown APIs and versions. Each bad connection is closed with a log line and
// the broker keeps serving everyone else; good pipelined requests are answered
// in order.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startBroker, type RunningBroker } from './broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { ApiVersionsApi } from '../protocol/messages/18-api-versions.js';
import { MetadataApi } from '../protocol/messages/03-metadata.js';
import { Reader } from '../protocol/reader.js';
import { readApiVersionsResponse } from '../protocol/messages/18-api-versions.js';
import { ErrorCode } from '../protocol/errors.js';
import { HANDLERS } from './handlers/index.js';

const logLines: { msg: string; reason?: string }[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    cb();
  },
});

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ logger: pino({ level: 'debug' }, sink), config: { 'connections.max.idle.ms': '400' } });
});
afterAll(() => broker.close());

/** Resolves when the server closes the socket; rejects if it stays open for `ms`. */
function sendAndAwaitClose(bytes: Buffer, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: broker.host, port: broker.port }, () => s.write(bytes));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('server did not close the connection'));
    }, ms);
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function stillServes(): Promise<void> {
  const c = await RawClient.connect(broker.host, broker.port);
  const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
  expect(res.errorCode).toBe(0);
  c.close();
}

function closeReasons(): string[] {
  return logLines.filter((l) => l.msg === 'closing connection').map((l) => l.reason ?? '');
}

describe('connection handling', () => {
  it('closes on garbage and keeps serving', async () => {
    const garbage = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sendAndAwaitClose(garbage);
    expect(closeReasons().some((r) => r.includes('socket.request.max.bytes'))).toBe(true);
    await stillServes();
  });

  it('closes on an oversized length prefix before buffering it', async () => {
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(0x7fffffff, 0);
    await sendAndAwaitClose(frame);
    expect(closeReasons().some((r) => r.includes('2147483647'))).toBe(true);
    await stillServes();
  });

  it('closes on an unknown API key', async () => {
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(999, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12);
    await sendAndAwaitClose(frame);
    expect(closeReasons().some((r) => r.includes('unsupported API key 999'))).toBe(true);
    await stillServes();
  });

  it('closes on an unsupported version of a served API', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const frame = c.encode(MetadataApi, 12, { topics: null });
    frame.writeInt16BE(99, 6);
    c.write(frame);
    await c.closed;
    expect(closeReasons().some((r) => r.includes('unsupported version 99 of Metadata'))).toBe(true);
  });

  it('closes on a malformed body', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const frame = c.encode(MetadataApi, 1, { topics: [{ name: 'x' }] });
    // Claim a topic array of 2^31-1 entries in a frame of a few bytes.
    frame.writeInt32BE(0x7fffffff, frame.length - 2 - 1 - 4);
    c.write(frame);
    await c.closed;
    expect(closeReasons().some((r) => r.includes('malformed Metadata v1 request'))).toBe(true);
    await stillServes();
  });

  it('survives a half-sent frame followed by a disconnect', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const frame = c.encode(MetadataApi, 9, { topics: null });
    c.write(frame.subarray(0, frame.length - 5));
    await new Promise((r) => setTimeout(r, 20));
    c.close();
    await c.closed;
    await stillServes();
  });

  it('answers an unsupported ApiVersions version with UNSUPPORTED_VERSION in v0 form', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const frame = c.encode(ApiVersionsApi, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' }, 42);
    frame.writeInt16BE(77, 6);
    const resp = await c.rawRequest(frame, 42);
    const r = new Reader(resp, 4);
    const body = readApiVersionsResponse(r, 0);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
    // The connection stays usable.
    const ok = await c.request(ApiVersionsApi, 0, {});
    expect(ok.errorCode).toBe(0);
    c.close();
  });

  it('answers pipelined requests in request order', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const order: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) =>
      (i % 2 === 0
        ? c.request(MetadataApi, 12, { topics: [{ name: `pipelined-${i}` }], allowAutoTopicCreation: true })
        : c.request(ApiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })
      ).then(() => order.push(i)),
    );
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    c.close();
  });

  it('advertises exactly the registry through ApiVersions', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const expected = HANDLERS.map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
    expect(res.apiKeys).toEqual(expected.sort((a, b) => a.apiKey - b.apiKey));
    expect(res.apiKeys.find((k) => k.apiKey === 3)).toEqual({ apiKey: 3, minVersion: 0, maxVersion: 12 });
    const bad = await c.request(ApiVersionsApi, 3, { clientSoftwareName: '-bad-', clientSoftwareVersion: '1' });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    c.close();
  });

  it('closes idle connections after connections.max.idle.ms', async () => {
    const c = await RawClient.connect(broker.host, broker.port);
    await c.closed;
    expect(closeReasons().some((r) => r.includes('connections.max.idle.ms'))).toBe(true);
  });
});
