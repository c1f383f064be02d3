// What each listener asks of its connections, resolved once at start from the
// config table (listener.name.<l>.* overrides first): TLS server options for SSL
// and SASL_SSL, the SASL mechanisms and their JAAS settings for SASL_*. Every
// problem is a startup error naming the key, as Kafka fails to start.
import { readFile } from 'node:fs/promises';
import type { TlsOptions } from 'node:tls';
import { ConfigError, listenerValue, type BrokerConfig, type Listener } from '../config.js';
import { parseJaasConfig } from './jaas.js';
import { parsePrincipalRules } from './principal.js';
import { oauthBearerValidatorOptions, type OAuthBearerValidatorOptions } from './sasl/oauthbearer.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
export const SASL_MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

export interface SaslSettings {
  /** sasl.enabled.mechanisms, in the order given. */
  readonly mechanisms: readonly SaslMechanismName[];
  /** PLAIN users (`user_<name>="<password>"` of the PLAIN JAAS entry). */
  readonly plainUsers: ReadonlyMap<string, string>;
  /** The unsecured validator's options (OAUTHBEARER JAAS entry); null when OAUTHBEARER is not enabled. */
  readonly oauthBearer: OAuthBearerValidatorOptions | null;
  /** connections.max.reauth.ms per mechanism (0: sessions never end). */
  readonly reauthMs: ReadonlyMap<SaslMechanismName, number>;
  readonly maxReceiveSize: number;
  readonly failedAuthDelayMs: number;
}

export interface ListenerSecurity {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** Options for tls.createServer; null on PLAINTEXT and SASL_PLAINTEXT. */
  readonly tls: (TlsOptions & { readonly clientAuth: 'required' | 'requested' | 'none' }) | null;
  readonly principalRules: ReturnType<typeof parsePrincipalRules>;
  readonly sasl: SaslSettings | null;
}

/** Key material used where a TLS listener has none configured (the test double's generated certificate). */
export interface DefaultKeyMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

const JAVA_TLS = { 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' } as const;

function prefixed(listener: string, key: string): string {
  return `listener.name.${listener.toLowerCase()}.${key}`;
}

async function readPem(key: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(key, `Failed to load SSL keystore ${path} of type PEM: ${(e as Error).message}`);
  }
}

async function tlsOptions(config: BrokerConfig, l: Listener, fallback: DefaultKeyMaterial | undefined): Promise<NonNullable<ListenerSecurity['tls']>> {
  const v = <N extends Parameters<typeof listenerValue>[2]>(n: N) => listenerValue(config, l.name, n);
  const opts: TlsOptions = {};
  const keyLocation = v('ssl.keystore.location');
  const inlineKey = v('ssl.keystore.key');
  const inlineChain = v('ssl.keystore.certificate.chain');
  if (keyLocation === null && inlineKey === null && inlineChain === null) {
    if (fallback === undefined) {
      throw new ConfigError('ssl.keystore.location', `Listener ${l.name} uses ${l.securityProtocol} but has no key store: set ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain)`);
    }
    opts.key = fallback.key;
    opts.cert = fallback.cert;
  } else {
    const type = v('ssl.keystore.type').toUpperCase();
    if (type === 'PEM') {
      if (v('ssl.keystore.password') !== null) {
        throw new ConfigError('ssl.keystore.password', 'SSL key store password cannot be specified with PEM format, only key password may be specified');
      }
      if (keyLocation !== null && (inlineKey !== null || inlineChain !== null)) {
        throw new ConfigError('ssl.keystore.location', 'Both ssl.keystore.location and ssl.keystore.key (or ssl.keystore.certificate.chain) are set; use one');
      }
      if (keyLocation === null && (inlineKey === null || inlineChain === null)) {
        throw new ConfigError(inlineKey === null ? 'ssl.keystore.key' : 'ssl.keystore.certificate.chain', 'SSL key store with PEM format needs both ssl.keystore.key and ssl.keystore.certificate.chain');
      }
      // A PEM key store file holds the key and the chain; OpenSSL picks each block by its kind.
      const pem = keyLocation !== null ? await readPem('ssl.keystore.location', keyLocation) : null;
      opts.key = pem ?? inlineKey!;
      opts.cert = pem ?? inlineChain!;
      const keyPassword = v('ssl.key.password');
      if (keyPassword !== null) opts.passphrase = keyPassword;
    } else if (type === 'PKCS12') {
      if (keyLocation === null) throw new ConfigError('ssl.keystore.location', 'A PKCS12 key store needs ssl.keystore.location');
      try {
        opts.pfx = await readFile(keyLocation);
      } catch (e) {
        throw new ConfigError('ssl.keystore.location', `Failed to load SSL keystore ${keyLocation} of type PKCS12: ${(e as Error).message}`);
      }
      opts.passphrase = v('ssl.key.password') ?? v('ssl.keystore.password') ?? undefined;
    } else {
      throw new ConfigError('ssl.keystore.type', `Key store type ${type} is not available in kafkalite; use PEM or PKCS12 (keytool -importkeystore converts JKS)`);
    }
  }

  const trustLocation = v('ssl.truststore.location');
  const trustInline = v('ssl.truststore.certificates');
  if (trustLocation !== null || trustInline !== null) {
    const type = v('ssl.truststore.type').toUpperCase();
    if (type !== 'PEM') throw new ConfigError('ssl.truststore.type', `Trust store type ${type} is not available in kafkalite; use PEM`);
    if (v('ssl.truststore.password') !== null) throw new ConfigError('ssl.truststore.password', 'SSL trust store password cannot be specified for PEM format.');
    if (trustLocation !== null && trustInline !== null) {
      throw new ConfigError('ssl.truststore.location', 'Both ssl.truststore.location and ssl.truststore.certificates are set; use one');
    }
    opts.ca = trustLocation !== null ? await readPem('ssl.truststore.location', trustLocation) : trustInline!;
  } else if (fallback !== undefined) {
    opts.ca = fallback.ca;
  }

  // On SASL_SSL only the listener's own ssl.client.auth counts: SASL authenticates the client.
  const clientAuth = (l.securityProtocol === 'SASL_SSL'
    ? (config.listenerConfigs.get(l.name)?.get('ssl.client.auth') ?? 'none')
    : v('ssl.client.auth')) as 'required' | 'requested' | 'none';
  const versions = v('ssl.enabled.protocols').map((p) => JAVA_TLS[p as keyof typeof JAVA_TLS]);
  if (versions.length === 0) throw new ConfigError('ssl.enabled.protocols', 'At least one TLS version must be enabled');
  return {
    ...opts,
    minVersion: versions.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: versions.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
    requestCert: clientAuth !== 'none',
    // `requested` accepts a connection without a certificate; one sent must still be trusted (checked on accept).
    rejectUnauthorized: clientAuth === 'required',
    clientAuth,
  };
}

function saslSettings(config: BrokerConfig, l: Listener): SaslSettings {
  const own = config.listenerConfigs.get(l.name);
  const mechanisms = listenerValue(config, l.name, 'sasl.enabled.mechanisms');
  const key = own?.has('sasl.enabled.mechanisms') ? prefixed(l.name, 'sasl.enabled.mechanisms') : 'sasl.enabled.mechanisms';
  if (mechanisms.length === 0) throw new ConfigError(key, `No SASL mechanism enabled for listener ${l.name}`);
  for (const m of mechanisms) {
    if (!SASL_MECHANISMS.includes(m as SaslMechanismName)) {
      throw new ConfigError(key, `SASL mechanism ${m} is not available in kafkalite (listener ${l.name}); enable ${SASL_MECHANISMS.join(', ')}`);
    }
  }
  const plainUsers = new Map<string, string>();
  const reauthMs = new Map<SaslMechanismName, number>();
  let oauthBearer: OAuthBearerValidatorOptions | null = null;
  for (const m of mechanisms as SaslMechanismName[]) {
    const jaasKey = `${m.toLowerCase()}.sasl.jaas.config`;
    const text = own?.get(jaasKey);
    if (text === undefined) {
      throw new ConfigError(
        prefixed(l.name, jaasKey),
        `Could not find a 'KafkaServer' or '${l.name.toLowerCase()}.KafkaServer' entry in the JAAS configuration: set ${prefixed(l.name, jaasKey)}`,
      );
    }
    let entry;
    try {
      entry = parseJaasConfig(text);
    } catch (e) {
      throw new ConfigError(prefixed(l.name, jaasKey), `Invalid ${prefixed(l.name, jaasKey)}: ${(e as Error).message}`);
    }
    if (m === 'PLAIN' && entry.loginModule === 'org.apache.kafka.common.security.plain.PlainLoginModule') {
      for (const [k, pw] of entry.options) if (k.startsWith('user_')) plainUsers.set(k.slice(5), pw);
    }
    if (m === 'OAUTHBEARER') {
      try {
        oauthBearer = oauthBearerValidatorOptions(entry.options);
      } catch (e) {
        throw new ConfigError(prefixed(l.name, jaasKey), `Invalid ${prefixed(l.name, jaasKey)}: ${(e as Error).message}`);
      }
    }
    const mechReauth = own?.get(`${m.toLowerCase()}.connections.max.reauth.ms`);
    reauthMs.set(m, mechReauth !== undefined ? Number(mechReauth) : listenerValue(config, l.name, 'connections.max.reauth.ms'));
  }
  return {
    mechanisms: mechanisms as SaslMechanismName[],
    plainUsers,
    oauthBearer,
    reauthMs,
    maxReceiveSize: config.values['sasl.server.max.receive.size'],
    failedAuthDelayMs: config.values['connection.failed.authentication.delay.ms'],
  };
}

/** Resolves every listener's security; throws ConfigError at the first problem. */
export async function resolveListenerSecurity(
  config: BrokerConfig,
  listeners: readonly Listener[],
  fallback?: DefaultKeyMaterial,
): Promise<Map<string, ListenerSecurity>> {
  const out = new Map<string, ListenerSecurity>();
  for (const l of listeners) {
    const protocol = l.securityProtocol as SecurityProtocol;
    const ssl = protocol === 'SSL' || protocol === 'SASL_SSL';
    const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
    out.set(l.name, {
      name: l.name,
      protocol,
      tls: ssl ? await tlsOptions(config, l, fallback) : null,
      principalRules: parsePrincipalRules(listenerValue(config, l.name, 'ssl.principal.mapping.rules')),
      sasl: sasl ? saslSettings(config, l) : null,
    });
  }
  return out;
}
