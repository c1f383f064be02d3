// `kafkalite configs describe|alter` for a topic or a broker.
import { CliUsageError } from '../args.js';
import { alterConfigs, describeConfigs, type ResourceKind } from '../../client/admin-configs.js';
import { COMMON_USAGE, parseCommand, keyValues, noExtraArgs, withClient } from './common.js';
import { printJson, table } from './output.js';

const USAGE = `Usage:
  kafkalite configs describe (--topic TOPIC | --broker ID)
  kafkalite configs alter (--topic TOPIC | --broker ID) [--set K=V]... [--delete K]...

describe lists every config with its value and source (DYNAMIC_TOPIC_CONFIG for
a topic's own setting, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ...); sensitive
values are not shown. alter uses IncrementalAlterConfigs; --delete returns a
config to its default. A broker that does not serve it answers so (exit 1).

${COMMON_USAGE}`;

const OPTIONS = {
  topic: { type: 'string' },
  broker: { type: 'string' },
  set: { type: 'string', multiple: true },
  delete: { type: 'string', multiple: true },
} as const;

export async function configsCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, OPTIONS, USAGE);
  if (parsed === null) return;
  const { values, positionals, common } = parsed;
  const [sub, ...args] = positionals;
  noExtraArgs(args);
  if ((values.topic === undefined) === (values.broker === undefined)) throw new CliUsageError('name one resource: --topic TOPIC or --broker ID');
  const kind: ResourceKind = values.topic !== undefined ? 'topic' : 'broker';
  const name = (values.topic ?? values.broker)!;
  if (kind === 'broker' && !/^\d+$/.test(name)) throw new CliUsageError(`--broker expects a node id, got "${name}"`);
  switch (sub) {
    case 'describe':
      return withClient(common, async (client) => {
        const configs = await describeConfigs(client, kind, name);
        if (common.json) printJson(configs);
        else process.stdout.write(table(['NAME', 'VALUE', 'SOURCE', 'READ-ONLY'], configs.map((c) => [c.name, c.sensitive ? '(sensitive)' : c.value, c.source, String(c.readOnly)])));
      });
    case 'alter': {
      const changes = new Map<string, string | null>(keyValues('--set', values.set));
      for (const k of values.delete ?? []) changes.set(k, null);
      if (changes.size === 0) throw new CliUsageError('alter needs --set K=V or --delete K');
      return withClient(common, async (client) => {
        await alterConfigs(client, kind, name, changes);
        if (common.json) printJson({ [kind]: name, configs: Object.fromEntries(changes) });
        else process.stdout.write(`altered ${changes.size} config(s) of ${kind} "${name}"\n`);
      });
    }
    case undefined:
      throw new CliUsageError('missing subcommand: describe or alter');
    default:
      throw new CliUsageError(`unknown subcommand "${sub}": describe or alter`);
  }
}
