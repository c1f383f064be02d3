// SASL/OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer with its default
// validator, OAuthBearerUnsecuredValidatorCallbackHandler: the client first message
// `n,[a=authzid],\x01auth=Bearer <token>\x01[key=value\x01...]\x01`, the token an
// unsecured JWS (`alg: none`, empty signature) whose claims are checked against the
// broker clock. An invalid token is not an error at once: the answer is Kafka's JSON
// challenge ({"status":"invalid_token"}); the client acknowledges with `\x01` and
// only then gets SASL_AUTHENTICATION_FAILED with that JSON as message. The token's
// `exp` is the credential's expiry (KIP-368 session lifetime).
// Differences: a header without `alg` is invalid_token (Kafka fails with an internal
// NullPointerException and drops the connection); extensions are all accepted, as
// the unsecured handler does.
import { SaslFailure, type SaslServer } from './mechanism.js';

/** The JAAS options Kafka's unsecured validator reads (unsecuredValidator*). */
export interface OAuthBearerValidatorOptions {
  readonly principalClaimName: string;
  readonly scopeClaimName: string;
  readonly requiredScope: readonly string[];
  readonly allowableClockSkewMs: number;
}

/** RFC 6749 scope-token characters: %x21 / %x23-5B / %x5D-7E. */
const SCOPE_ITEM_RE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The validator's options from the OAUTHBEARER JAAS entry, as Kafka reads them
 * (blank names fall back to `sub` and `scope`); a bad skew or scope item is an error.
 */
export function oauthBearerValidatorOptions(options: ReadonlyMap<string, string>): OAuthBearerValidatorOptions {
  const opt = (k: string) => options.get(`unsecuredValidator${k}`)?.trim() ?? '';
  const skewText = opt('AllowableClockSkewMs');
  const skew = skewText === '' ? 0 : Number(skewText);
  if (!/^[+-]?\d+$/.test(skewText === '' ? '0' : skewText) || !Number.isSafeInteger(skew) || skew > 2 ** 31 - 1) {
    throw new Error(`unsecuredValidatorAllowableClockSkewMs: For input string: "${skewText}"`);
  }
  if (skew < 0) throw new Error(`Allowable clock skew millis must not be negative: ${skewText}`);
  const requiredScope = opt('RequiredScope').split(' ').filter((s) => s !== '');
  for (const s of requiredScope) {
    if (!SCOPE_ITEM_RE.test(s)) throw new Error(`unsecuredValidatorRequiredScope: invalid scope token: ${s}`);
  }
  return {
    principalClaimName: opt('PrincipalClaimName') || 'sub',
    scopeClaimName: opt('ScopeClaimName') || 'scope',
    requiredScope,
    allowableClockSkewMs: skew,
  };
}

// RFC 7628 client first message, as Kafka's OAuthBearerClientInitialResponse matches it.
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const KVPAIR = '[A-Za-z]+=[\\x21-\\x7E \\t\\r\\n]+\\x01';
const CLIENT_FIRST_RE = new RegExp(`^n,(?:a=(${SASLNAME}))?,\\x01((?:${KVPAIR})*)\\x01$`);
const AUTH_RE = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

/** The client first message: token and authorization id; any malformation is the generic failure. */
export function parseClientFirstMessage(text: string): { token: string; authzid: string } {
  const m = CLIENT_FIRST_RE.exec(text);
  if (!m) throw new SaslFailure('Invalid OAUTHBEARER client first message', false);
  const pairs = new Map<string, string>();
  for (const kv of m[2]!.split('\x01').filter((s) => s !== '')) {
    const eq = kv.indexOf('=');
    pairs.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const auth = pairs.get('auth');
  if (auth === undefined) throw new SaslFailure("Invalid OAUTHBEARER client first message: 'auth' not specified", false);
  const a = AUTH_RE.exec(auth);
  if (!a) throw new SaslFailure("Invalid OAUTHBEARER client first message: invalid 'auth' format", false);
  if (a[1]!.toLowerCase() !== 'bearer') throw new SaslFailure(`Invalid scheme in OAUTHBEARER client first message: ${a[1]}`, false);
  return { token: a[2]!, authzid: m[1] ?? '' };
}

/** A claim as Kafka's Jackson conversion keeps it: numbers, lists of strings, everything else as text. */
type Claim = number | string | string[];

const BASE64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return '';
}

/** One base64url JSON part of the token; null when it is not base64url or not JSON. */
function decodePart(part: string): Map<string, Claim> | null {
  const bare = part.replace(/=+$/, '');
  if (!BASE64URL_RE.test(part) || bare.length % 4 === 1) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bare, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const out = new Map<string, Claim>();
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return out;
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    out.set(k, typeof v === 'number' ? v : Array.isArray(v) ? v.map(asText) : asText(v));
  }
  return out;
}

/** A token Kafka's unsecured validator accepts: its principal and expiry; else the JSON error status. */
export type TokenValidation =
  | { readonly principal: string; readonly expiresAtMs: number }
  | { readonly error: string };

const INVALID = { error: '{"status":"invalid_token"}' } as const;

/** Kafka's OAuthBearerUnsecuredJws parsing and OAuthBearerValidationUtils checks, in their order. */
export function validateUnsecuredJws(token: string, o: OAuthBearerValidatorOptions, nowMs: number): TokenValidation {
  if (token.includes('..')) return INVALID;
  // Java's split drops trailing empty parts; the JWS code adds back the empty signature.
  const parts = token.split('.');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (token.endsWith('.')) parts.push('');
  if (parts.length !== 3) return INVALID;
  const header = decodePart(parts[0]!);
  const claims = decodePart(parts[1]!);
  if (header === null || claims === null) return INVALID;
  const alg = header.get('alg');
  if (alg !== 'none' || parts[2] !== '') return INVALID;
  const scopeClaim = claims.get(o.scopeClaimName);
  if (scopeClaim !== undefined && typeof scopeClaim === 'number') return INVALID;
  const scope = new Set(
    typeof scopeClaim === 'string'
      ? [scopeClaim.trim()].filter((s) => s !== '')
      : (scopeClaim ?? []).map((s) => s.trim()).filter((s) => s !== ''),
  );
  const exp = claims.get('exp');
  if (typeof exp !== 'number') return INVALID;
  const principal = claims.get(o.principalClaimName);
  if (typeof principal !== 'string' || principal.trim() === '') return INVALID;
  const iat = claims.get('iat');
  if (iat !== undefined && typeof iat !== 'number') return INVALID;
  if (iat !== undefined && 1000 * iat > nowMs + o.allowableClockSkewMs) return INVALID;
  if (nowMs - o.allowableClockSkewMs >= 1000 * exp) return INVALID;
  if (iat !== undefined && exp <= iat) return INVALID;
  if (o.requiredScope.some((s) => !scope.has(s))) {
    // Java's List.toString of the required scope, and Kafka's spacing.
    return { error: `{"status":"insufficient_scope", "scope":"[${o.requiredScope.join(', ')}]"}` };
  }
  return { principal, expiresAtMs: Math.round(exp * 1000) };
}

export function oauthBearerServer(options: OAuthBearerValidatorOptions, now: () => number): SaslServer {
  let errorMessage: string | null = null;
  return {
    evaluate(bytes) {
      // The client's `\x01` acknowledges our error challenge: now the exchange fails.
      if (bytes.length === 1 && bytes[0] === 0x01 && errorMessage !== null) throw new SaslFailure(errorMessage, true);
      errorMessage = null;
      const { token, authzid } = parseClientFirstMessage(bytes.toString('utf8'));
      const v = validateUnsecuredJws(token, options, now());
      if ('error' in v) {
        errorMessage = v.error;
        return { challenge: Buffer.from(v.error, 'utf8') };
      }
      if (authzid !== '' && authzid !== v.principal) {
        throw new SaslFailure(
          `Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${v.principal})`,
          true,
        );
      }
      return { challenge: Buffer.alloc(0), user: v.principal, expiresAtMs: v.expiresAtMs };
    },
  };
}
