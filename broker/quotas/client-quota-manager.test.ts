// Kafka's quota precedence and sharing, on the pure manager: which quota applies
// to a (user, client-id) when several levels are set, and which clients share one
// rate. The numbers are the quota values the test sets, not the implementation's.
import { describe, it, expect } from 'vitest';
import { ClientQuotas } from './client-quotas.js';
import { ClientQuotaManager } from './client-quota-manager.js';

const KEY = 'producer_byte_rate';
const WINDOW = { samples: 11, windowMs: 1000 };

function quotasWith(levels: [user: string | null | undefined, clientId: string | null | undefined, value: number][]): ClientQuotas {
  const q = new ClientQuotas();
  q.apply(
    levels.map(([user, clientId, value]) => ({
      entity: [
        ...(user !== undefined ? [{ entityType: 'user', entityName: user }] : []),
        ...(clientId !== undefined ? [{ entityType: 'client-id', entityName: clientId }] : []),
      ],
      key: KEY,
      value,
    })),
  );
  return q;
}

describe('ClientQuotaManager', () => {
  it('applies the most specific quota in Kafka\'s eight-level order', () => {
    const all: [string | null | undefined, string | null | undefined, number][] = [
      ['alice', 'app', 1],
      ['alice', null, 2],
      ['alice', undefined, 3],
      [null, 'app', 4],
      [null, null, 5],
      [null, undefined, 6],
      [undefined, 'app', 7],
      [undefined, null, 8],
    ];
    // Remove the most specific level one at a time: the next one takes over.
    for (let i = 0; i < all.length; i++) {
      const m = new ClientQuotaManager(quotasWith(all.slice(i)), KEY, () => WINDOW);
      expect(m.quotaFor('alice', 'app')).toBe(i + 1);
    }
    // Other keys do not count.
    const other = new ClientQuotaManager(quotasWith(all), 'consumer_byte_rate', () => WINDOW);
    expect(other.enabled).toBe(false);
    expect(other.recordAndGetThrottleTimeMs('alice', 'app', 1e12, 0)).toBe(0);
  });

  it('clients under one user quota share its rate; under a default client-id quota each client has its own', () => {
    const perUser = new ClientQuotaManager(quotasWith([['alice', undefined, 100]]), KEY, () => WINDOW);
    // 100 B/s over 10 s: 1000 bytes fit, whoever of alice's clients sends them.
    expect(perUser.recordAndGetThrottleTimeMs('alice', 'a', 600, 0)).toBe(0);
    expect(perUser.recordAndGetThrottleTimeMs('alice', 'b', 600, 0)).toBeGreaterThan(0);
    expect(perUser.recordAndGetThrottleTimeMs('bob', 'a', 600, 0)).toBe(0); // no quota for bob

    const perClient = new ClientQuotaManager(quotasWith([[undefined, null, 100]]), KEY, () => WINDOW);
    expect(perClient.recordAndGetThrottleTimeMs('alice', 'a', 600, 0)).toBe(0);
    expect(perClient.recordAndGetThrottleTimeMs('alice', 'b', 600, 0)).toBe(0);
    expect(perClient.recordAndGetThrottleTimeMs('alice', 'a', 600, 0)).toBeGreaterThan(0);
  });

  it('forgets usage once its windows have passed, and an unrecorded value no longer counts', () => {
    const m = new ClientQuotaManager(quotasWith([[undefined, 'c', 100]]), KEY, () => WINDOW);
    expect(m.recordAndGetThrottleTimeMs('u', 'c', 1000, 0)).toBe(0);
    expect(m.recordAndGetThrottleTimeMs('u', 'c', 500, 0)).toBeGreaterThan(0);
    m.unrecord('u', 'c', 500, 0);
    expect(m.recordAndGetThrottleTimeMs('u', 'c', 0, 0)).toBe(0);
    // 11 windows later nothing of it is left: a full budget again.
    expect(m.recordAndGetThrottleTimeMs('u', 'c', 1000, 11_000)).toBe(0);
  });
});
