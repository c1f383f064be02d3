// SaslAuthenticate (key 36), versions 0-2.
// One token of the SASL exchange after a v1 SaslHandshake (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512). Failure: SASL_AUTHENTICATION_FAILED with Kafka's message, then the
// connection closes after connection.failed.authentication.delay.ms. Success on the
// last step carries session_lifetime_ms (v1+) from connections.max.reauth.ms.
// Anywhere else (after success, PLAINTEXT/SSL listeners): ILLEGAL_SASL_STATE.
// Not done: GSSAPI and OAUTHBEARER mechanisms.
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
