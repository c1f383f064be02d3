// SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer: `[authzid] NUL authcid NUL
// passwd`, checked against the `user_<name>` entries of the listener's JAAS config
// in constant time. Its failure messages are shown to the client.
import { timingSafeEqual, createHash } from 'node:crypto';
import { SaslFailure, type SaslServer } from './mechanism.js';

function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the password.
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

export function plainServer(users: ReadonlyMap<string, string>): SaslServer {
  return {
    evaluate(token) {
      const parts = token.toString('utf8').split('\u0000');
      if (parts.length !== 3) throw new SaslFailure(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`, false);
      const [authzid, user, password] = parts as [string, string, string];
      if (user === '') throw new SaslFailure('Authentication failed: username not specified', true);
      if (password === '') throw new SaslFailure('Authentication failed: password not specified', true);
      const expected = users.get(user);
      if (!sameSecret(password, expected ?? '\u0000no such user') || expected === undefined) {
        throw new SaslFailure('Authentication failed: Invalid username or password', true);
      }
      if (authzid !== '' && authzid !== user) {
        throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', true);
      }
      return { challenge: Buffer.alloc(0), user };
    },
  };
}
