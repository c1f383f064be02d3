// Who is on the other end of one connection: the principal (User:ANONYMOUS on
// PLAINTEXT, the certificate's mapped name on SSL, the SASL user once
// authenticated) and, on SASL listeners, the authenticator that gets it there.
import { ANONYMOUS } from './principal.js';
import type { SecurityProtocol } from './listener-security.js';
import type { SaslAuthenticator } from './sasl/authenticator.js';

export class ConnectionSecurity {
  constructor(
    readonly protocol: SecurityProtocol,
    /** The TLS or anonymous principal, before any SASL authentication. */
    private readonly transportPrincipal: string = ANONYMOUS,
    readonly sasl: SaslAuthenticator | null = null,
  ) {}

  get principal(): string {
    return this.sasl?.principal ?? this.transportPrincipal;
  }
}

export const PLAINTEXT_SECURITY = new ConnectionSecurity('PLAINTEXT');
