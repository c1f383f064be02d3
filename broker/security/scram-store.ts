// SCRAM credentials per (user, mechanism), the one owner of them: read at start,
// changed by AlterUserScramCredentials, written atomically to
// `<data-dir>/kafkalite-scram-credentials.json` before the change is answered.
// Only salts and derived keys are kept (StoredKey, ServerKey), as Kafka keeps them.
import { joinPath, readFileIfExists, writeFileAtomic, type FileSystem } from '../../storage/fs.js';
import type { SaslMechanismName } from './listener-security.js';
import type { ScramCredential } from './sasl/scram.js';

export type ScramMechanismName = Extract<SaslMechanismName, 'SCRAM-SHA-256' | 'SCRAM-SHA-512'>;

const FILE = 'kafkalite-scram-credentials.json';

/** Kafka's ScramMechanism codes on the wire. */
export const SCRAM_MECHANISM_CODES: Readonly<Record<ScramMechanismName, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

export function scramMechanismOf(code: number): ScramMechanismName | undefined {
  return code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : undefined;
}

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

export interface ScramChange {
  readonly user: string;
  readonly mechanism: ScramMechanismName;
  /** null: delete the credential. */
  readonly credential: ScramCredential | null;
}

export class ScramStore {
  private constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
    private readonly users: Map<string, Map<ScramMechanismName, ScramCredential>>,
  ) {}

  static async open(fs: FileSystem, dataDir: string): Promise<ScramStore> {
    const path = joinPath(dataDir, FILE);
    const users = new Map<string, Map<ScramMechanismName, ScramCredential>>();
    const raw = await readFileIfExists(fs, path);
    if (raw !== undefined) {
      const parsed = JSON.parse(raw.toString('utf8')) as Record<string, Record<string, StoredCredential>>;
      for (const [user, mechs] of Object.entries(parsed)) {
        const m = new Map<ScramMechanismName, ScramCredential>();
        for (const [mech, c] of Object.entries(mechs)) {
          m.set(mech as ScramMechanismName, {
            salt: Buffer.from(c.salt, 'base64'),
            storedKey: Buffer.from(c.storedKey, 'base64'),
            serverKey: Buffer.from(c.serverKey, 'base64'),
            iterations: c.iterations,
          });
        }
        users.set(user, m);
      }
    }
    return new ScramStore(fs, path, users);
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** Users with their mechanisms and iterations, in name order. */
  describe(): { user: string; credentials: { mechanism: ScramMechanismName; iterations: number }[] }[] {
    return [...this.users.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([user, m]) => ({ user, credentials: [...m.entries()].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })) }));
  }

  /** Applies the changes together and persists them before resolving. */
  async apply(changes: readonly ScramChange[]): Promise<void> {
    if (changes.length === 0) return;
    const next = new Map([...this.users].map(([u, m]) => [u, new Map(m)]));
    for (const c of changes) {
      const m = next.get(c.user) ?? new Map<ScramMechanismName, ScramCredential>();
      if (c.credential === null) m.delete(c.mechanism);
      else m.set(c.mechanism, c.credential);
      if (m.size === 0) next.delete(c.user);
      else next.set(c.user, m);
    }
    const json: Record<string, Record<string, StoredCredential>> = {};
    for (const [user, m] of next) {
      json[user] = {};
      for (const [mech, c] of m) {
        json[user][mech] = {
          salt: c.salt.toString('base64'),
          storedKey: c.storedKey.toString('base64'),
          serverKey: c.serverKey.toString('base64'),
          iterations: c.iterations,
        };
      }
    }
    await writeFileAtomic(this.fs, this.path, Buffer.from(JSON.stringify(json, null, 2)));
    this.users.clear();
    for (const [u, m] of next) this.users.set(u, m);
  }
}
