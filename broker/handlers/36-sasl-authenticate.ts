// SaslAuthenticate (key 36), versions 0-2.
// One token of the SASL exchange after a v1 SaslHandshake (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512, OAUTHBEARER). Failure: SASL_AUTHENTICATION_FAILED with Kafka's
// message, then the connection closes after connection.failed.authentication.delay.ms
// (an invalid OAUTHBEARER token is first answered 0 with a JSON challenge, and fails
// when the client acknowledges it). Success on the last step carries
// session_lifetime_ms (v1+): connections.max.reauth.ms, the token's remaining life, or
// the smaller. Anywhere else (after success, PLAINTEXT/SSL listeners): ILLEGAL_SASL_STATE.
// Not done: the GSSAPI mechanism.
import { SaslAuthenticateApi } from '../../protocol/messages/36-sasl-authenticate.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

export const saslAuthenticateHandler = defineHandler({
  api: SaslAuthenticateApi,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    const sasl = ctx.security.sasl;
    if (sasl === null) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate request received after successful authentication',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
    const { done, ...res } = sasl.authenticate(req.authBytes);
    if (res.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED) ctx.logger.info({ reason: sasl.closeReason }, 'SASL authentication failed');
    if (done) ctx.logger.debug({ principal: sasl.principal, lifetimeMs: Number(res.sessionLifetimeMs) }, 'SASL authenticated');
    return res;
  },
});
