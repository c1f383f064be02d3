// What every client command shares: its options (--bootstrap, --timeout,
// --json, --debug), parsing with node:util parseArgs into one-line usage
// errors, and a connected client that is closed afterwards.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError } from '../args.js';
import { KafkaClient, type HostPort } from '../../client/kafka-client.js';

export const COMMON_OPTIONS = {
  bootstrap: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const COMMON_USAGE = `Common options:
  --bootstrap HOST:PORT[,HOST:PORT]  brokers to start from (default 127.0.0.1:9092)
  --timeout MS         connect and request timeout (default 30000)
  --json               print JSON for scripts instead of tables
  --debug              print the stack trace of an error
  -h, --help           show this help

Exit codes: 0 done, 1 the operation failed (a Kafka error, named), 2 bad command
line, 3 cannot connect to the brokers (or a request timed out).
`;

export interface CommonOptions {
  readonly bootstrap: HostPort[];
  readonly timeoutMs: number;
  readonly json: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type ToolConfig<O extends Options> = { args: string[]; allowPositionals: true; strict: true; options: typeof COMMON_OPTIONS & O };
export type ParsedTool<O extends Options> = ReturnType<typeof parseArgs<ToolConfig<O>>>;

/**
 * Parses a command's arguments with the common options added. Prints `usage`
 * and returns null for --help.
 */
export function parseCommand<O extends Options>(argv: string[], options: O, usage: string): (ParsedTool<O> & { common: CommonOptions }) | null {
  const parsed = usageErrors(() => parseArgs<ToolConfig<O>>({ args: argv, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...options } }));
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage);
    return null;
  }
  return { ...parsed, common: commonOptions(parsed.values as { bootstrap?: string; timeout?: string; json?: boolean }) };
}

/** Runs node's parseArgs, turning its errors into one-line usage errors. */
function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new CliUsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

export function parseBootstrap(text: string): HostPort[] {
  return text.split(',').map((item) => {
    const s = item.trim();
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(s);
    const port = m === null ? NaN : Number(m[3]);
    if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new CliUsageError(`--bootstrap expects HOST:PORT[,HOST:PORT...], got "${text}"`);
    }
    return { host: m[1] ?? m[2]!, port };
  });
}

export function commonOptions(values: { bootstrap?: string; timeout?: string; json?: boolean }): CommonOptions {
  const timeoutMs = values.timeout === undefined ? 30_000 : intOption('--timeout', values.timeout, 1);
  return { bootstrap: parseBootstrap(values.bootstrap ?? '127.0.0.1:9092'), timeoutMs, json: values.json === true };
}

/** A whole number option at least `min`. */
export function intOption(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliUsageError(`${flag} must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}, got "${text}"`);
  }
  return n;
}

/** KEY=VALUE options (repeatable) into a map, in order. */
export function keyValues(flag: string, items: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`${flag} expects KEY=VALUE, got "${item}"`);
    out.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return out;
}

export function noExtraArgs(args: readonly string[]): void {
  if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
}

export function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`missing ${what}`);
  return value;
}

export async function withClient<T>(common: CommonOptions, fn: (client: KafkaClient) => Promise<T>): Promise<T> {
  const client = await KafkaClient.connect({
    bootstrap: common.bootstrap,
    timeoutMs: common.timeoutMs,
    clientId: 'kafkalite-cli',
    softwareName: 'kafkalite-cli',
    softwareVersion: '0.1.0',
  });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** The command cannot do what was asked (a bad input line, a group that is not inactive): exit 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}
