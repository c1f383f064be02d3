// The client commands of `kafkalite` (topics, produce, consume, groups,
// configs, cluster): dispatch by name, and one place that turns failures into
// one line on stderr and an exit code a script can rely on:
//   0 done, 1 the operation failed (a Kafka error, by Kafka's name), 2 bad
//   command line, 3 cannot connect to the brokers (or a request timed out).
// --debug adds the stack trace.
import { CliUsageError } from '../args.js';
import { ConnectionError, KafkaError, ProtocolError } from '../../client/errors.js';
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

type Tool = (argv: string[]) => Promise<void>;

// Loaded on use: `kafkalite start` must not pay for the client and its commands.
const TOOLS: Readonly<Record<string, () => Promise<Tool>>> = {
  topics: async () => (await import('./topics.js')).topicsCommand,
  produce: async () => (await import('./produce.js')).produceCommand,
  consume: async () => (await import('./consume.js')).consumeCommand,
  groups: async () => (await import('./groups.js')).groupsCommand,
  configs: async () => (await import('./configs.js')).configsCommand,
  cluster: async () => (await import('./cluster.js')).clusterCommand,
};

export const TOOL_USAGE = `Client commands (against any Kafka-compatible broker, --bootstrap HOST:PORT):
  kafkalite topics list|describe|create|delete|alter   topics, partitions, offsets, configs
  kafkalite produce TOPIC                              write lines from stdin or a file
  kafkalite consume TOPIC                              print records (alone or in a group)
  kafkalite groups list|describe|delete|reset-offsets  consumer groups, lag, offsets
  kafkalite configs describe|alter                     topic and broker configs
  kafkalite cluster describe                           cluster id, controller, brokers
Run kafkalite COMMAND --help for its options.
`;

export function isToolCommand(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(TOOLS, name);
}

export async function runTool(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const debug = rest.includes('--debug');
  try {
    await (await TOOLS[name!]!())(rest);
    return EXIT.ok;
  } catch (e) {
    const err = e as Error;
    const { CommandError } = await import('./common.js'); // loaded already by the tool that threw
    const code =
      e instanceof CliUsageError ? EXIT.usage : e instanceof ConnectionError ? EXIT.unreachable : EXIT.failed;
    const prefix = e instanceof KafkaError || e instanceof ProtocolError || e instanceof CommandError || e instanceof CliUsageError || e instanceof ConnectionError ? '' : 'internal error: ';
    const hint = e instanceof CliUsageError ? ` (see kafkalite ${name} --help)` : '';
    process.stderr.write(`kafkalite ${name}: ${prefix}${err.message.replace(/\s*\n\s*/g, ' ')}${hint}\n`);
    if (debug && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
    return code;
  }
}
