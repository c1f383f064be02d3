// DescribeUserScramCredentials (key 50), version 0.
// The SCRAM mechanisms and iterations of the users asked for (null or empty: every
// user with a credential). A user without one gets RESOURCE_NOT_FOUND, a user named
// twice DUPLICATE_RESOURCE, with Kafka's messages. Salts and keys are never returned.
// Authorization: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED at the
// top and for each user named, as Kafka.
import { DescribeUserScramCredentialsApi } from '../../protocol/messages/50-describe-user-scram-credentials.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { SCRAM_MECHANISM_CODES } from '../security/scram-store.js';

export const describeUserScramCredentialsHandler = defineHandler({
  api: DescribeUserScramCredentialsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    if (!clusterAuthorized(ctx, AclOperation.DESCRIBE)) {
      const denied = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, credentialInfos: [] };
      return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: (req.users ?? []).map((u) => ({ user: u.name, ...denied })) };
    }
    const all = ctx.broker.scram.describe();
    const infos = (credentials: (typeof all)[number]['credentials']) =>
      credentials.map((c) => ({ mechanism: SCRAM_MECHANISM_CODES[c.mechanism], iterations: c.iterations }));
    if (req.users === null || req.users.length === 0) {
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        results: all.map((u) => ({ user: u.user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(u.credentials) })),
      };
    }
    const counts = new Map<string, number>();
    for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
    const byUser = new Map(all.map((u) => [u.user, u.credentials]));
    const results = [...counts].map(([user, count]) => {
      if (count > 1) {
        return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
      }
      const credentials = byUser.get(user);
      if (credentials === undefined) {
        return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      }
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(credentials) };
    });
    return { errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
