// Issue 7, item 2: queued.max.requests and queued.max.request.bytes bound what
// all connections hold together. Over real TCP: connection A sends the size
// prefix and a few bytes of a request (Kafka reserves a request's memory when it
// reads the size), then connection B sends a whole request. With the budget
// spent by A, B is not read until A's request is answered; with room, B is
// served at once.
import { describe, it, expect } from 'vitest';
import { startBroker } from './broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { ApiVersionsApi } from '../protocol/messages/18-api-versions.js';

const body = { clientSoftwareName: 'budget-test', clientSoftwareVersion: '1' };

/** How long B must stay unanswered while A holds the budget: the delay is what is under test. */
const HELD_MS = 300;

/**
 * A holds a partial request; B sends a whole one. Returns whether B was answered
 * while A was still partial (waiting HELD_MS at most, or for B's answer when `expectServed`).
 */
async function servedWhileHeld(config: Record<string, string>, expectServed: boolean): Promise<boolean> {
  const broker = await startBroker({ config });
  try {
    const a = await RawClient.connect(broker.host, broker.port);
    const b = await RawClient.connect(broker.host, broker.port);
    // B is served at all, and the budget is free again after an answer.
    await b.request(ApiVersionsApi, 3, body);
    const aFrame = a.encode(ApiVersionsApi, 3, body, 100);
    const aDone = a.rawRequest(aFrame.subarray(0, 6), 100);
    await new Promise<void>((r) => a.socket.write(Buffer.alloc(0), () => r()));
    let bAnswered = false;
    const bDone = b.request(ApiVersionsApi, 3, body).then(() => (bAnswered = true));
    if (expectServed) await bDone;
    else await new Promise((r) => setTimeout(r, HELD_MS));
    const served = bAnswered;
    a.write(aFrame.subarray(6));
    // Once A's request is answered the budget is free and B is served.
    await Promise.all([aDone, bDone]);
    a.close();
    b.close();
    return served;
  } finally {
    await broker.close();
  }
}

describe('issue 7: the broker-wide request budget', () => {
  it('queued.max.requests=1: a second connection waits while the first holds the one request', async () => {
    expect(await servedWhileHeld({ 'queued.max.requests': '1' }, false)).toBe(false);
  });

  it('queued.max.request.bytes=1: a second connection waits while the first holds the bytes', async () => {
    expect(await servedWhileHeld({ 'queued.max.request.bytes': '1' }, false)).toBe(false);
  });

  it('with the defaults, the second connection is served while the first holds a partial request', async () => {
    expect(await servedWhileHeld({}, true)).toBe(true);
  });
});

describe('issue 7: a reservation is returned when its request never completes', () => {
  it('a peer that closes in the middle of a request does not keep the budget', async () => {
    const broker = await startBroker({ config: { 'queued.max.requests': '1' } });
    try {
      const a = await RawClient.connect(broker.host, broker.port);
      a.write(a.encode(ApiVersionsApi, 3, body).subarray(0, 6));
      await new Promise<void>((r) => a.socket.end(() => r()));
      a.close();
      await a.closed;
      const b = await RawClient.connect(broker.host, broker.port);
      expect((await b.request(ApiVersionsApi, 3, body)).errorCode).toBe(0);
      b.close();
    } finally {
      await broker.close();
    }
  });
});
