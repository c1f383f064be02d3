// AlterUserScramCredentials (key 51), version 0.
// Upsertions carry the client's salt and SaltedPassword; the broker keeps StoredKey
// and ServerKey (never a password) in the SCRAM store, persisted before the answer,
// and new connections authenticate against them at once. Per user, as Kafka's
// controller checks: empty name, unknown mechanism, iterations outside 4096-16384,
// deleting a credential that does not exist, a user named twice in the request.
// The valid changes apply together.
// Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every
// user, as Kafka.
import { AlterUserScramCredentialsApi } from '../../protocol/messages/51-alter-user-scram-credentials.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { scramMechanismOf, type ScramChange } from '../security/scram-store.js';
import { credentialFromSaltedPassword, SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS } from '../security/sasl/scram.js';

type Failure = { errorCode: number; errorMessage: string };

export const alterUserScramCredentialsHandler = defineHandler({
  api: AlterUserScramCredentialsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const store = ctx.broker.scram;
    const users: string[] = [];
    const counts = new Map<string, number>();
    for (const { name } of [...req.deletions, ...req.upsertions]) {
      if (!counts.has(name)) users.push(name);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    if (!clusterAuthorized(ctx, AclOperation.ALTER)) return { results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    const failures = new Map<string, Failure>();
    const changes: ScramChange[] = [];
    const check = (name: string, mechanismCode: number): ReturnType<typeof scramMechanismOf> | undefined => {
      if (failures.has(name)) return undefined;
      if (name === '') failures.set(name, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' });
      else if ((counts.get(name) ?? 0) > 1) {
        failures.set(name, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' });
      } else {
        const mechanism = scramMechanismOf(mechanismCode);
        if (mechanism !== undefined) return mechanism;
        failures.set(name, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' });
      }
      return undefined;
    };
    for (const d of req.deletions) {
      const mechanism = check(d.name, d.mechanism);
      if (mechanism === undefined) continue;
      if (store.get(d.name, mechanism) === undefined) {
        failures.set(d.name, { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
      } else changes.push({ user: d.name, mechanism, credential: null });
    }
    for (const u of req.upsertions) {
      const mechanism = check(u.name, u.mechanism);
      if (mechanism === undefined) continue;
      if (u.iterations < SCRAM_MIN_ITERATIONS) failures.set(u.name, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' });
      else if (u.iterations > SCRAM_MAX_ITERATIONS) failures.set(u.name, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' });
      else changes.push({ user: u.name, mechanism, credential: credentialFromSaltedPassword(mechanism, u.salt, u.saltedPassword, u.iterations) });
    }
    await store.apply(changes.filter((c) => !failures.has(c.user)));
    ctx.logger.info({ users: users.filter((u) => !failures.has(u)) }, 'SCRAM credentials altered');
    return {
      results: users.map((user) => ({ user, errorCode: failures.get(user)?.errorCode ?? ErrorCode.NONE, errorMessage: failures.get(user)?.errorMessage ?? null })),
    };
  },
});
