// A SASL mechanism on the server side: fed the client's tokens one at a time,
// answers a challenge, and says when the client has proved who it is.

export interface SaslStep {
  /** Bytes for the client (empty when the mechanism has nothing to say). */
  readonly challenge: Buffer;
  /** Set on the last step: the authenticated user name. */
  readonly user?: string;
  /** With `user`: when the credential expires (epoch ms; an OAUTHBEARER token's `exp`), bounding the session. */
  readonly expiresAtMs?: number;
}

export interface SaslServer {
  evaluate(token: Buffer): SaslStep;
}

/**
 * Authentication failed. `exposed` messages reach the client as they are (Kafka's
 * SaslAuthenticationException); others are replaced by the generic message so a
 * client cannot tell an unknown user from a wrong password.
 */
export class SaslFailure extends Error {
  constructor(
    message: string,
    readonly exposed: boolean,
  ) {
    super(message);
  }
}
