// One connection's SASL state, as Kafka's SaslServerAuthenticator and KafkaChannel
// keep it: which requests are allowed before authentication, the handshake (v1:
// tokens in SaslAuthenticate; v0: raw size-prefixed tokens), the mechanism's
// exchange, the failure that closes the connection, and KIP-368 session expiry
// and re-authentication. SaslHandshake/SaslAuthenticate handlers and the
// connection ask it; it does no I/O.
import { ErrorCode } from '../../../protocol/errors.js';
import type { SaslSettings, SaslMechanismName } from '../listener-security.js';
import type { ScramStore } from '../scram-store.js';
import { SaslFailure, type SaslServer } from './mechanism.js';
import { plainServer } from './plain.js';
import { scramServer } from './scram.js';
import { oauthBearerServer } from './oauthbearer.js';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
/** Kafka refuses a re-authentication sooner than this after the last one. */
const MIN_REAUTH_INTERVAL_MS = 1000;

/** What the connection does with a request that arrived. */
export type Admission =
  | { readonly kind: 'dispatch' }
  /** Close without answering (after the failed-authentication delay when `delayed`). */
  | { readonly kind: 'close'; readonly reason: string; readonly delayed: boolean }
  /** Answer with the API's own error response carrying ILLEGAL_SASL_STATE, then close. */
  | { readonly kind: 'illegal-state'; readonly reason: string };

type State = 'initial' | 'api-versions-seen' | 'authenticate' | 'raw' | 'authenticated' | 'failed';

export class SaslAuthenticator {
  private state: State = 'initial';
  private mechanism: SaslMechanismName | null = null;
  private server: SaslServer | null = null;
  private reauthenticating = false;
  private user: string | null = null;
  private expiresAt: number | null = null;
  private lastAuthAt = 0;
  /** Set when the connection must close after its last answer is sent. */
  closeReason: string | null = null;

  constructor(
    private readonly settings: SaslSettings,
    private readonly scram: ScramStore,
    private readonly now: () => number,
  ) {}

  /** `User:<name>` once authenticated, else null. */
  get principal(): string | null {
    return this.user === null ? null : `User:${this.user}`;
  }

  /** Authenticated at least once (re-authentication keeps the connection authenticated). */
  get authenticated(): boolean {
    return this.user !== null;
  }

  /** After a v0 handshake the client sends bare tokens, not requests. */
  get expectsRawToken(): boolean {
    return this.state === 'raw';
  }

  get maxReceiveSize(): number {
    return this.settings.maxReceiveSize;
  }

  get failedAuthDelayMs(): number {
    return this.settings.failedAuthDelayMs;
  }

  admit(apiKey: number, apiName: string): Admission {
    switch (this.state) {
      case 'initial':
        if (apiKey === API_VERSIONS) {
          this.state = 'api-versions-seen';
          return { kind: 'dispatch' };
        }
        return this.beforeHandshake(apiKey, apiName);
      case 'api-versions-seen':
        if (apiKey === API_VERSIONS) return { kind: 'close', reason: 'a second ApiVersions request during SASL handshake', delayed: false };
        return this.beforeHandshake(apiKey, apiName);
      case 'authenticate':
        if (apiKey === SASL_AUTHENTICATE) return { kind: 'dispatch' };
        return { kind: 'illegal-state', reason: `Unexpected Kafka request of type ${apiName} during SASL authentication` };
      case 'raw':
        return { kind: 'close', reason: 'a request where a SASL token was expected', delayed: false };
      case 'failed':
        return { kind: 'close', reason: 'request after failed authentication', delayed: false };
      case 'authenticated':
        if (apiKey !== SASL_HANDSHAKE && this.expiresAt !== null && this.now() > this.expiresAt) {
          return { kind: 'close', reason: `SASL session of ${this.principal} expired (connections.max.reauth.ms) and the client did not re-authenticate`, delayed: false };
        }
        return { kind: 'dispatch' };
    }
  }

  private beforeHandshake(apiKey: number, apiName: string): Admission {
    if (apiKey === SASL_HANDSHAKE) return { kind: 'dispatch' };
    return { kind: 'close', reason: `Unexpected Kafka request of type ${apiName} during SASL handshake.`, delayed: true };
  }

  /** SaslHandshake: the mechanism the client wants, or ILLEGAL_SASL_STATE when no handshake is expected now. */
  handshake(version: number, mechanism: string): { errorCode: number; mechanisms: string[] } {
    const enabled: string[] = [...this.settings.mechanisms];
    if (this.state === 'authenticated') {
      const mayReauth = this.expiresAt !== null && this.now() - this.lastAuthAt >= MIN_REAUTH_INTERVAL_MS && version >= 1;
      if (!mayReauth) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
      if (mechanism !== this.mechanism) {
        this.fail(`re-authentication with mechanism ${mechanism} after ${this.mechanism}`);
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled };
      }
      this.reauthenticating = true;
    } else if (this.state !== 'initial' && this.state !== 'api-versions-seen') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    }
    if (!enabled.includes(mechanism)) {
      this.fail(`unsupported SASL mechanism ${mechanism}`);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled };
    }
    this.mechanism = mechanism as SaslMechanismName;
    this.server = this.serverFor(this.mechanism);
    this.state = version === 0 ? 'raw' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: enabled };
  }

  private serverFor(m: SaslMechanismName): SaslServer {
    if (m === 'PLAIN') return plainServer(this.settings.plainUsers);
    if (m === 'OAUTHBEARER') return oauthBearerServer(this.settings.oauthBearer!, this.now);
    return scramServer(m, (user) => this.scram.get(user, m));
  }

  /** SaslAuthenticate (v1 handshake): one token of the exchange; `done` on the step that authenticates. */
  authenticate(token: Buffer): { errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: bigint; done?: true } {
    if (this.state !== 'authenticate' || this.server === null) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: this.authenticated ? 'SaslAuthenticate request received after successful authentication' : 'Unexpected SaslAuthenticate request',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
    const step = this.step(token);
    if ('failure' in step) {
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.failure, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.challenge, sessionLifetimeMs: BigInt(step.lifetimeMs), ...(step.done ? { done: true as const } : {}) };
  }

  /** A raw token after a v0 handshake: the bytes to send back (a frame), or null when the connection closes. */
  rawToken(token: Buffer): Buffer | null {
    const step = this.step(token);
    return 'failure' in step ? null : step.challenge;
  }

  private step(token: Buffer): { challenge: Buffer; lifetimeMs: number; done?: true } | { failure: string } {
    const mechanism = this.mechanism!;
    const again = this.reauthenticating ? 're-authentication' : 'authentication';
    let result;
    try {
      result = this.server!.evaluate(token);
    } catch (e) {
      const message = e instanceof SaslFailure && e.exposed
        ? e.message
        : `Authentication failed during ${again} due to invalid credentials with SASL mechanism ${mechanism}`;
      this.fail(e instanceof Error ? e.message : String(e));
      return { failure: message };
    }
    if (result.user === undefined) return { challenge: result.challenge, lifetimeMs: 0 };
    if (this.reauthenticating && result.user !== this.user) {
      const message = `Cannot change principals during re-authentication from User.${this.user}: User.${result.user}`;
      this.fail(message);
      return { failure: message };
    }
    this.user = result.user;
    this.server = null;
    this.reauthenticating = false;
    this.state = 'authenticated';
    this.lastAuthAt = this.now();
    // Kafka's session lifetime: connections.max.reauth.ms, the credential's remaining life, or the smaller.
    const maxReauthMs = this.settings.reauthMs.get(mechanism) ?? 0;
    const credentialMs = result.expiresAtMs === undefined ? undefined : Math.max(0, result.expiresAtMs - this.lastAuthAt);
    const lifetimeMs = credentialMs === undefined ? maxReauthMs : maxReauthMs > 0 ? Math.min(credentialMs, maxReauthMs) : credentialMs;
    this.expiresAt = credentialMs !== undefined || maxReauthMs > 0 ? this.lastAuthAt + lifetimeMs : null;
    return { challenge: result.challenge, lifetimeMs, done: true };
  }

  private fail(reason: string): void {
    this.state = 'failed';
    this.server = null;
    this.closeReason = `SASL authentication failed: ${reason}`;
  }
}
