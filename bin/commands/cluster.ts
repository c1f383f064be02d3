// `kafkalite cluster describe`: cluster id, controller and brokers (Metadata).
import { CliUsageError } from '../args.js';
import { COMMON_USAGE, parseCommand, noExtraArgs, withClient } from './common.js';
import { printJson, table } from './output.js';

const USAGE = `Usage: kafkalite cluster describe

Prints the cluster id, the controller's node id and every broker (node id,
host, port, rack) as the brokers advertise them.

${COMMON_USAGE}`;

export async function clusterCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, {}, USAGE);
  if (parsed === null) return;
  const { values, positionals, common } = parsed;
  const [sub, ...args] = positionals;
  if (sub !== 'describe') throw new CliUsageError(sub === undefined ? 'missing subcommand: describe' : `unknown subcommand "${sub}": describe`);
  noExtraArgs(args);
  await withClient(common, async (client) => {
    const md = await client.metadata([]);
    const brokers = md.brokers.map((b) => ({ ...b, controller: b.nodeId === md.controllerId }));
    if (common.json) {
      printJson({ clusterId: md.clusterId, controllerId: md.controllerId, brokers });
      return;
    }
    process.stdout.write(`Cluster: ${md.clusterId ?? '-'}  Controller: ${md.controllerId}\n`);
    process.stdout.write(table(['NODE', 'HOST', 'PORT', 'RACK', 'CONTROLLER'], brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, b.controller ? 'yes' : ''])));
  });
}
