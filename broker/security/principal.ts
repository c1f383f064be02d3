// Principals as Kafka names them: `User:ANONYMOUS` on PLAINTEXT, the SASL user on
// SASL listeners, and on SSL the client certificate's distinguished name in Java's
// X500Principal.getName() form (RFC 2253: last RDN first, no spaces after commas),
// mapped by ssl.principal.mapping.rules (Kafka's SslPrincipalMapper).
import { X509Certificate } from 'node:crypto';

export const ANONYMOUS = 'User:ANONYMOUS';

interface Rule {
  /** null: DEFAULT (the DN unchanged). */
  readonly pattern: RegExp | null;
  readonly replacement: string;
  readonly toCase: '' | 'L' | 'U';
}

/** Reads up to an unescaped `/`; returns the text and the index after the slash. */
function untilSlash(text: string, from: number): [string, number] {
  let i = from;
  while (i < text.length && text[i] !== '/') i += text[i] === '\\' ? 2 : 1;
  if (i >= text.length) throw new Error(`Invalid rule: ${text.slice(from)}`);
  return [text.slice(from, i), i + 1];
}

/** Parses `DEFAULT` and `RULE:pattern/replacement/[L|U]` items, comma-separated. */
export function parsePrincipalRules(text: string): Rule[] {
  const rules: Rule[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skipSpace();
  while (i < text.length) {
    if (text.startsWith('DEFAULT', i)) {
      rules.push({ pattern: null, replacement: '', toCase: '' });
      i += 'DEFAULT'.length;
    } else if (text.startsWith('RULE:', i)) {
      const [pattern, afterPattern] = untilSlash(text, i + 5);
      const [replacement, afterReplacement] = untilSlash(text, afterPattern);
      i = afterReplacement;
      let toCase: Rule['toCase'] = '';
      if (text[i] === 'L' || text[i] === 'U') toCase = text[i++] as 'L' | 'U';
      let regex: RegExp;
      try {
        regex = new RegExp(pattern, 'g');
      } catch (e) {
        throw new Error(`Invalid rule pattern ${pattern}: ${(e as Error).message}`);
      }
      rules.push({ pattern: regex, replacement, toCase });
    } else {
      throw new Error(`Invalid rule: ${text.slice(i)}`);
    }
    skipSpace();
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`Invalid rule: ${text.slice(i)}`);
      i++;
      skipSpace();
    }
  }
  return rules;
}

/**
 * The principal name for a certificate DN: the first rule whose pattern matches
 * the whole DN; none matching is an error (the connection fails, as in Kafka).
 */
export function mapPrincipalName(rules: readonly Rule[], dn: string): string {
  for (const r of rules) {
    if (r.pattern === null) return dn;
    const whole = new RegExp(`^(?:${r.pattern.source})$`);
    if (!whole.test(dn)) continue;
    r.pattern.lastIndex = 0;
    const out = dn.replace(r.pattern, r.replacement);
    return r.toCase === 'L' ? out.toLowerCase() : r.toCase === 'U' ? out.toUpperCase() : out;
  }
  throw new Error(`No rules apply to ${dn}, rules ${rules.map((r) => (r.pattern ? `RULE:${r.pattern.source}` : 'DEFAULT')).join(',')}`);
}

/** RFC 2253 escaping of one attribute value. */
function escapeValue(v: string): string {
  let out = v.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * A certificate's subject as Java prints it: RDNs last first, `,` between them.
 * Node prints one `attr=value` per line in certificate order, multi-valued RDNs
 * joined by `+`, values escaped with backslashes.
 */
export function distinguishedName(der: Buffer): string {
  const subject = new X509Certificate(der).subject;
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((rdn) =>
      rdn
        .split(/(?<!\\)\+/)
        .map((ava) => {
          const eq = ava.indexOf('=');
          const value = ava.slice(eq + 1).replace(/\\(.)/g, '$1');
          return `${ava.slice(0, eq)}=${escapeValue(value)}`;
        })
        .join('+'),
    )
    .join(',');
}
