// meta.properties in the data directory, as Kafka keeps it: the cluster id and
// node id the directory belongs to. A directory is never silently adopted by
// another cluster or node.
import { randomBytes } from 'node:crypto';
import type { FileSystem } from '../storage/fs.js';
import { joinPath, mkdirDurable, writeFileAtomic } from '../storage/fs.js';
import { parseProperties } from './properties.js';

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
}

/** A new cluster id in Kafka's form: 16 random bytes, base64url without padding. */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export async function loadOrCreateMetaProperties(
  fs: FileSystem,
  dataDir: string,
  wanted: { clusterId: string | null; nodeId: number },
): Promise<MetaProperties> {
  const path = joinPath(dataDir, 'meta.properties');
  if (await fs.exists(path)) {
    const props = parseProperties((await fs.readFile(path)).toString('utf8'));
    const clusterId = props.get('cluster.id');
    const nodeId = Number(props.get('node.id'));
    if (!clusterId || !Number.isInteger(nodeId)) throw new Error(`${path} lacks cluster.id or node.id`);
    if (wanted.clusterId !== null && wanted.clusterId !== clusterId) {
      throw new Error(`The cluster id ${wanted.clusterId} does not match the one in ${path} (${clusterId})`);
    }
    if (wanted.nodeId !== nodeId) {
      throw new Error(`Stored node id ${nodeId} in ${path} does not match the configured node.id ${wanted.nodeId}`);
    }
    return { clusterId, nodeId };
  }
  const meta = { clusterId: wanted.clusterId ?? newClusterId(), nodeId: wanted.nodeId };
  // Durably: a data directory whose own name was never fsynced into its parent
  // can vanish with everything in it after a power loss.
  await mkdirDurable(fs, dataDir);
  await writeFileAtomic(fs, path, Buffer.from(`#\n#${new Date().toUTCString()}\nversion=1\ncluster.id=${meta.clusterId}\nnode.id=${meta.nodeId}\n`));
  return meta;
}
