import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { startBroker, type RunningBroker } from '../broker/broker.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { MetadataApi } from '../protocol/messages/03-metadata.js';
// Vote is KRaft's own: a broker never serves it to clients.
import { VoteApi } from '../protocol/messages/52-vote.js';
import { Connection } from './connection.js';
import { ConnectionError, ProtocolError, UnsupportedApiError } from './errors.js';
import { pickVersion } from './versions.js';

const OPTIONS = { clientId: 'test', timeoutMs: 2_000, softwareName: 'kafkalite-test', softwareVersion: '1.0' };

describe('pickVersion', () => {
  const broker = new Map([[MetadataApi.apiKey, { minVersion: 0, maxVersion: 9 }]]);
  it('takes the highest version both sides support, never below the floor', () => {
    expect(pickVersion(MetadataApi, broker)).toBe(9);
    expect(() => pickVersion(MetadataApi, broker, 10)).toThrow(UnsupportedApiError);
    expect(() => pickVersion(MetadataApi, broker, 10)).toThrow('Metadata (API key 3): UNSUPPORTED_VERSION (the broker serves versions 0-9, this client needs 10-12)');
    expect(() => pickVersion(FetchApi, broker)).toThrow('Fetch (API key 1): UNSUPPORTED_VERSION (the broker does not serve this API)');
  });
});

describe('Connection', () => {
  let broker: RunningBroker;
  let fake: Server;
  let fakePort = 0;
  /** What the fake broker does with each request frame. */
  let onFrame: (socket: Socket, frame: Buffer) => void = () => {};

  beforeAll(async () => {
    broker = await startBroker();
    fake = createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          onFrame(s, frame);
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    fakePort = (fake.address() as { port: number }).port;
  });

  afterAll(async () => {
    await broker?.close();
    await new Promise((r) => fake?.close(r));
  });

  it('negotiates versions with kafkalite from its ApiVersions answer', async () => {
    const conn = await Connection.open(broker.host, broker.port, OPTIONS);
    try {
      const served = conn.brokerRange(MetadataApi.apiKey)!;
      expect(conn.version(MetadataApi)).toBe(Math.min(served.maxVersion, MetadataApi.maxVersion));
      expect(conn.brokerRange(VoteApi.apiKey)).toBeUndefined();
      expect(() => conn.version(VoteApi)).toThrow(UnsupportedApiError);
      const md = await conn.request(MetadataApi, { topics: [] });
      expect(md.brokers.map((b) => b.port)).toEqual([broker.port]);
    } finally {
      conn.close();
    }
  });

  it('fails with a ConnectionError when nothing listens, and when a request gets no answer in time', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    await expect(Connection.open('127.0.0.1', port, OPTIONS)).rejects.toThrow(new ConnectionError(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`));

    onFrame = () => {};
    await expect(Connection.open('127.0.0.1', fakePort, { ...OPTIONS, timeoutMs: 200 })).rejects.toThrow(
      new ConnectionError(`ApiVersions request to 127.0.0.1:${fakePort} timed out after 200 ms`),
    );
  });

  it('closes the connection when the broker answers a correlation id no request carries', async () => {
    onFrame = (s, frame) => {
      const correlationId = frame.readInt32BE(4);
      const body = Buffer.alloc(4 + 4);
      body.writeInt32BE(4, 0);
      body.writeInt32BE(correlationId + 1000, 4);
      s.write(body);
    };
    const err = await Connection.open('127.0.0.1', fakePort, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toMatch(/answered correlation id \d+, which no request carries/);
  });
});
