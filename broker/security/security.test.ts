// Issue 11, the pure parts: certificate subjects as Java prints them, Kafka's
// principal mapping rules, the JAAS text parser, the startup errors of listener
// security, and secrets hidden by DescribeConfigs.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { distinguishedName, mapPrincipalName, parsePrincipalRules } from './principal.js';
import { parseJaasConfig } from './jaas.js';
import { makeTestCa } from './test-certs.js';
import { resolveListenerSecurity } from './listener-security.js';
import { describeBrokerConfigs, resolveBrokerConfig } from '../config.js';
import { startBroker } from '../broker.js';

describe('certificate subjects', () => {
  it('are printed last RDN first, without spaces, RFC 2253-escaped', () => {
    const ca = makeTestCa();
    const { cert } = ca.issue([['C', 'US'], ['O', 'kl, inc'], ['OU', 'eng'], ['CN', 'client1']]);
    expect(distinguishedName(new X509Certificate(cert).raw)).toBe('CN=client1,OU=eng,O=kl\\, inc,C=US');
  });
});

describe('ssl.principal.mapping.rules', () => {
  const dn = 'CN=client1,OU=eng,O=kl,C=US';
  it('DEFAULT keeps the whole name', () => {
    expect(mapPrincipalName(parsePrincipalRules('DEFAULT'), dn)).toBe(dn);
  });
  it('the first rule matching the whole name wins, with $n and case conversion', () => {
    expect(mapPrincipalName(parsePrincipalRules('RULE:^CN=(.*?),OU=ops,.*$/$1/,RULE:^CN=(.*?),.*$/$1/U,DEFAULT'), dn)).toBe('CLIENT1');
    expect(mapPrincipalName(parsePrincipalRules('RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/L'), dn)).toBe('client1@eng');
  });
  it('no rule matching is an error; malformed rules are refused', () => {
    expect(() => mapPrincipalName(parsePrincipalRules('RULE:^CN=x,.*$/x/'), dn)).toThrow('No rules apply to CN=client1,OU=eng,O=kl,C=US');
    expect(() => parsePrincipalRules('RULE:^CN=(.*$/x/')).toThrow('Invalid rule pattern');
    expect(() => parsePrincipalRules('SOMETHING')).toThrow('Invalid rule');
    expect(() => resolveBrokerConfig({ 'ssl.principal.mapping.rules': 'RULE:a' })).toThrow('ssl.principal.mapping.rules');
  });
});

describe('JAAS configuration text', () => {
  it('reads the module, flag and quoted or bare options, skipping comments', () => {
    const e = parseJaasConfig(`org.apache.kafka.common.security.plain.PlainLoginModule required /* c */
      username="admin" password='a b;c' // trailing
      user_alice="alice-secret" flag=yes;`);
    expect(e.loginModule).toBe('org.apache.kafka.common.security.plain.PlainLoginModule');
    expect(e.flag).toBe('required');
    expect(Object.fromEntries(e.options)).toEqual({ username: 'admin', password: 'a b;c', user_alice: 'alice-secret', flag: 'yes' });
  });
  it('refuses what Kafka refuses', () => {
    expect(() => parseJaasConfig('M required a=1;')).toThrow("Value not specified for key 'a'");
    expect(() => parseJaasConfig('M required;N required;')).toThrow('contains 2 login modules, should be 1 module');
    expect(() => parseJaasConfig('M sometimes;')).toThrow('Invalid login module control flag');
    expect(() => parseJaasConfig('M required a="x"')).toThrow('not terminated by semi-colon');
  });
});

describe('listener security at startup', () => {
  const sasl = (extra: Record<string, string>) => {
    const config = resolveBrokerConfig({ listeners: 'PLAINTEXT://:0,SASL_PLAINTEXT://:0', ...extra });
    return resolveListenerSecurity(config, config.listeners);
  };
  const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";';

  it('refuses GSSAPI (Kafka\'s default mechanism) and a mechanism without JAAS settings', async () => {
    await expect(sasl({})).rejects.toThrow('SASL mechanism GSSAPI is not available in kafkalite');
    await expect(sasl({ 'sasl.enabled.mechanisms': 'PLAIN' })).rejects.toThrow(
      "Could not find a 'KafkaServer' or 'sasl_plaintext.KafkaServer' entry in the JAAS configuration",
    );
    await expect(sasl({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'M required; N required;' })).rejects.toThrow('should be 1 module');
  });

  it('reads PLAIN users from the listener\'s JAAS entry, and per-listener overrides', async () => {
    const s = await sasl({
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaas,
      'listener.name.sasl_plaintext.plain.connections.max.reauth.ms': '5000',
    });
    const l = s.get('SASL_PLAINTEXT')!;
    expect(l.sasl?.mechanisms).toEqual(['PLAIN']);
    expect(Object.fromEntries(l.sasl!.plainUsers)).toEqual({ a: 'b' });
    expect(l.sasl?.reauthMs.get('PLAIN')).toBe(5000);
    expect(s.get('PLAINTEXT')).toMatchObject({ protocol: 'PLAINTEXT', tls: null, sasl: null });
  });

  it('reads the OAUTHBEARER validator options from its JAAS entry, as Kafka\'s unsecured validator does', async () => {
    const oauth = (options: string) =>
      sasl({ 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ${options};` });
    expect((await oauth('')).get('SASL_PLAINTEXT')?.sasl?.oauthBearer).toEqual({ principalClaimName: 'sub', scopeClaimName: 'scope', requiredScope: [], allowableClockSkewMs: 0 });
    expect(
      (await oauth('unsecuredValidatorPrincipalClaimName=" cid " unsecuredValidatorScopeClaimName="scp" unsecuredValidatorRequiredScope="a  b" unsecuredValidatorAllowableClockSkewMs="250"'))
        .get('SASL_PLAINTEXT')?.sasl?.oauthBearer,
    ).toEqual({ principalClaimName: 'cid', scopeClaimName: 'scp', requiredScope: ['a', 'b'], allowableClockSkewMs: 250 });
    await expect(oauth('unsecuredValidatorAllowableClockSkewMs="-1"')).rejects.toThrow('Allowable clock skew millis must not be negative: -1');
    await expect(oauth('unsecuredValidatorAllowableClockSkewMs="soon"')).rejects.toThrow('listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config');
    await expect(oauth('unsecuredValidatorRequiredScope="a\\b"')).rejects.toThrow('invalid scope token');
  });

  it('refuses a TLS listener without a key store, JKS, and a PEM key store password', async () => {
    const tls = (extra: Record<string, string>) => {
      const config = resolveBrokerConfig({ listeners: 'PLAINTEXT://:0,SSL://:0', ...extra });
      return resolveListenerSecurity(config, config.listeners);
    };
    await expect(tls({})).rejects.toThrow('Listener SSL uses SSL but has no key store');
    await expect(tls({ 'ssl.keystore.location': '/x.jks' })).rejects.toThrow('Key store type JKS is not available in kafkalite');
    await expect(tls({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': '/x.pem', 'ssl.keystore.password': 'p' })).rejects.toThrow(
      'SSL key store password cannot be specified with PEM format',
    );
    await expect(tls({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': 'k' })).rejects.toThrow('needs both ssl.keystore.key and ssl.keystore.certificate.chain');
  });

  it('refuses an unmapped listener, and both inter-broker settings', () => {
    expect(() => resolveBrokerConfig({ listeners: 'EXTERNAL://:0' })).toThrow('No security protocol defined for listener EXTERNAL');
    expect(() => resolveBrokerConfig({ 'inter.broker.listener.name': 'PLAINTEXT', 'security.inter.broker.protocol': 'PLAINTEXT' })).toThrow(
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set',
    );
  });

  it('a broker starts on PEM key material given inline, and DescribeConfigs hides the secrets', async () => {
    const ca = makeTestCa();
    const { cert, key } = ca.issue([['CN', 'localhost']], { hosts: ['127.0.0.1'] });
    const config = { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': key, 'ssl.keystore.certificate.chain': cert };
    const b = await startBroker({ config });
    try {
      expect(b.listeners.map((l) => l.securityProtocol)).toEqual(['PLAINTEXT', 'SSL']);
      const described = describeBrokerConfigs(b.config, ['ssl.keystore.key', 'ssl.keystore.type']);
      expect(described.map((d) => [d.name, d.value, d.sensitive, d.configType])).toEqual([
        ['ssl.keystore.key', null, true, 9],
        ['ssl.keystore.type', 'PEM', false, 2],
      ]);
      expect(described[0]!.synonyms.every((s) => s.value === null)).toBe(true);
    } finally {
      await b.close();
    }
  });
});
