// The ACLs of the cluster, the one owner of them: read at start, changed by
// CreateAcls and DeleteAcls, written atomically to `<data-dir>/kafkalite-acls.json`
// before a change is answered (Kafka keeps them in its metadata log). Changes run
// one after another, so each write holds every earlier change.
import { joinPath, readFileIfExists, writeFileAtomic, type FileSystem } from '../../storage/fs.js';
import { filterMatches, sameBinding, type AclBinding, type AclBindingFilter } from './acl.js';

const FILE = 'kafkalite-acls.json';

interface AclsFile {
  version: 1;
  acls: AclBinding[];
}

export class AclStore {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
    private acls: readonly AclBinding[],
  ) {}

  static async open(fs: FileSystem, dataDir: string): Promise<AclStore> {
    const path = joinPath(dataDir, FILE);
    const raw = await readFileIfExists(fs, path);
    if (raw === undefined) return new AclStore(fs, path, []);
    let parsed: AclsFile;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as AclsFile;
    } catch (e) {
      throw new Error(`${path} is not valid JSON; refusing to start`, { cause: e });
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.acls)) throw new Error(`${path}: unsupported version ${String(parsed.version)}`);
    return new AclStore(fs, path, parsed.acls);
  }

  /** Every binding, in creation order. */
  all(): readonly AclBinding[] {
    return this.acls;
  }

  /** The bindings a filter matches (DescribeAcls). */
  find(filter: AclBindingFilter): AclBinding[] {
    return this.acls.filter((b) => filterMatches(filter, b));
  }

  /** Adds the bindings not stored yet (a duplicate succeeds and is kept once), durably. */
  add(bindings: readonly AclBinding[]): Promise<void> {
    return this.change((current) => {
      const next = [...current];
      for (const b of bindings) if (!next.some((x) => sameBinding(x, b))) next.push(b);
      return next;
    });
  }

  /** Removes what each filter matches, durably; per filter, the bindings it removed. */
  async remove(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    let removed: AclBinding[][] = [];
    await this.change((current) => {
      removed = filters.map((f) => current.filter((b) => filterMatches(f, b)));
      return current.filter((b) => !filters.some((f) => filterMatches(f, b)));
    });
    return removed;
  }

  private change(next: (current: readonly AclBinding[]) => readonly AclBinding[]): Promise<void> {
    const run = this.tail.then(async () => {
      const acls = next(this.acls);
      if (acls.length === this.acls.length && acls.every((b, i) => b === this.acls[i])) return;
      const data: AclsFile = { version: 1, acls: [...acls] };
      await writeFileAtomic(this.fs, this.path, Buffer.from(`${JSON.stringify(data, null, 2)}\n`));
      this.acls = acls;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
