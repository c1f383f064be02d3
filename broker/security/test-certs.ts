// Throw-away X.509 material for the test double's TLS listeners (startBroker({ tls: true })):
// a CA made at start and certificates it signs, all in memory. node-forge is pure JS and
// widely used, so `npm install` is all it takes (no openssl binary, which a CI image or a
// laptop may lack); keys come from Node's own crypto, which is fast.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  /** The certificate, PEM. */
  readonly cert: string;
  /** Its unencrypted PKCS#8 private key, PEM. */
  readonly key: string;
}

export interface TestCa {
  /** The CA certificate, PEM: what clients trust (kafkajs `ssl.ca`, platformatic `tls.ca`, kcat `ssl.ca.location`). */
  readonly ca: string;
  /**
   * A certificate signed by the CA for `subject`, attributes in certificate order
   * (`[['C','US'],['O','kl'],['CN','client1']]`), usable by servers and clients;
   * `hosts` become subject alternative names (IP or DNS).
   */
  issue(subject: readonly (readonly [string, string])[], opts?: { hosts?: readonly string[] }): IssuedCertificate;
}

type KeyPair = { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.PublicKey; pem: string };
let shared: KeyPair | undefined;

/**
 * One RSA key per process for every throw-away certificate: generating one takes a
 * good part of a second, and these certificates only ever guard test connections.
 */
function keyPair(): KeyPair {
  if (shared) return shared;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  shared = { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e), pem };
  return shared;
}

function attrs(subject: readonly (readonly [string, string])[]): forge.pki.CertificateField[] {
  return subject.map(([shortName, value]) => ({ shortName, value }));
}

function baseCert(publicKey: forge.pki.PublicKey): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  // Valid from a day ago: test machines' clocks drift.
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + 365 * DAY_MS);
  return cert;
}

/** A fresh CA and its signing key. */
export function makeTestCa(name = 'kafkalite test CA'): TestCa {
  const caKeys = keyPair();
  const caCert = baseCert(caKeys.publicKey);
  caCert.setSubject([{ shortName: 'CN', value: name }]);
  caCert.setIssuer(caCert.subject.attributes);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(caKeys.privateKey, forge.md.sha256.create());
  return {
    ca: forge.pki.certificateToPem(caCert),
    issue(subject, opts = {}) {
      const keys = keyPair();
      const cert = baseCert(keys.publicKey);
      cert.setSubject(attrs(subject));
      cert.setIssuer(caCert.subject.attributes);
      const altNames = (opts.hosts ?? []).map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h }));
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
      ]);
      cert.sign(caKeys.privateKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
    },
  };
}
