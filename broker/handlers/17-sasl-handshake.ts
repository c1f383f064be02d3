// SaslHandshake (key 17), versions 0-1.
// On a SASL listener before authentication: the mechanism the client asks for, or
// UNSUPPORTED_SASL_MECHANISM with the enabled list (the connection then closes).
// v1 means tokens follow in SaslAuthenticate; v0 means raw size-prefixed tokens.
// After authentication it starts a KIP-368 re-authentication when the session has
// a lifetime; otherwise, and on PLAINTEXT/SSL listeners, ILLEGAL_SASL_STATE.
// Not done: the GSSAPI mechanism.
import { SaslHandshakeApi } from '../../protocol/messages/17-sasl-handshake.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

export const saslHandshakeHandler = defineHandler({
  api: SaslHandshakeApi,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const sasl = ctx.security.sasl;
    if (sasl === null) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    return sasl.handshake(ctx.apiVersion, req.mechanism);
  },
});
