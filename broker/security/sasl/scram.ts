// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer:
// client-first `n,[a=authzid],n=<user>,r=<nonce>`, server-first
// `r=<nonce+ours>,s=<salt>,i=<iterations>`, client-final `c=..,r=..,p=<proof>`,
// server-final `v=<signature>`. Credentials are Kafka's salted form (never the
// password). Every failure but a different authorization id gets the generic message.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslFailure, type SaslServer } from './mechanism.js';
import type { SaslMechanismName } from '../listener-security.js';

export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export function scramHash(mechanism: SaslMechanismName): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
}

const hmac = (hash: string, key: Buffer, data: string | Buffer) => createHmac(hash, key).update(data).digest();

/** StoredKey and ServerKey from a SaltedPassword (what AlterUserScramCredentials carries). */
export function credentialFromSaltedPassword(mechanism: SaslMechanismName, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  const hash = scramHash(mechanism);
  const clientKey = hmac(hash, saltedPassword, 'Client Key');
  return {
    salt,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: hmac(hash, saltedPassword, 'Server Key'),
    iterations,
  };
}

/** Hi(password, salt, i) of RFC 5802 is PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(mechanism: SaslMechanismName, password: string, salt: Buffer, iterations: number): Buffer {
  const hash = scramHash(mechanism);
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash === 'sha512' ? 64 : 32, hash);
}

/** A credential for a password, as `kafka-storage format --add-scram` makes one. */
export function credentialFor(mechanism: SaslMechanismName, password: string, iterations = SCRAM_MIN_ITERATIONS): ScramCredential {
  const salt = randomBytes(32);
  return credentialFromSaltedPassword(mechanism, salt, saltedPassword(mechanism, password, salt, iterations), iterations);
}

/** RFC 5802 saslname: `=2C` is `,`, `=3D` is `=`; any other `=` is malformed. */
function unescapeName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslFailure('Invalid SCRAM user name', false);
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const generic = (): SaslFailure => new SaslFailure('Invalid SCRAM message', false);

/** Kafka's server nonce: 130 random bits in base 36. */
function serverNonce(): string {
  return BigInt(`0x${randomBytes(17).toString('hex')}`).toString(36);
}

export function scramServer(mechanism: SaslMechanismName, lookup: (user: string) => ScramCredential | undefined): SaslServer {
  const hash = scramHash(mechanism);
  let step: 'first' | 'final' | 'done' = 'first';
  let user = '';
  let credential: ScramCredential | undefined;
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  return {
    evaluate(token) {
      const text = token.toString('utf8');
      if (step === 'first') {
        const m = /^n,(?:a=([^,]*))?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/.exec(text);
        if (!m) throw generic();
        user = unescapeName(m[3]!);
        const authzid = m[1] !== undefined ? unescapeName(m[1]) : '';
        if (authzid !== '' && authzid !== user) {
          throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', true);
        }
        credential = lookup(user);
        if (credential === undefined) throw new SaslFailure(`Authentication failed: Invalid user credentials`, false);
        if (credential.iterations < SCRAM_MIN_ITERATIONS) throw generic();
        clientFirstBare = m[2]!;
        nonce = m[4]! + serverNonce();
        serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
        step = 'final';
        return { challenge: Buffer.from(serverFirst, 'utf8') };
      }
      if (step === 'final') {
        step = 'done';
        const m = /^(c=([^,]*),r=([^,]*)(?:,(?!p=)[^,]*)*),p=([^,]+)$/.exec(text);
        // Kafka only checks that the nonce ends with ours: librdkafka 2.0 sends its own nonce twice.
        if (!m || !m[3]!.endsWith(nonce)) throw generic();
        const authMessage = `${clientFirstBare},${serverFirst},${m[1]}`;
        const cred = credential!;
        const signature = hmac(hash, cred.storedKey, authMessage);
        const proof = Buffer.from(m[4]!, 'base64');
        if (proof.length !== signature.length) throw generic();
        const clientKey = Buffer.alloc(proof.length);
        for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
        if (!timingSafeEqual(createHash(hash).update(clientKey).digest(), cred.storedKey)) throw generic();
        const serverSignature = hmac(hash, cred.serverKey, authMessage).toString('base64');
        return { challenge: Buffer.from(`v=${serverSignature}`, 'utf8'), user };
      }
      throw generic();
    },
  };
}
