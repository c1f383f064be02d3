// Command-line parsing for `kafkalite`, kept free of I/O side effects so it can be
// tested: parseCliArgs turns argv into a command, and resolveStartConfig merges
// server.properties, --set and the --host/--port/--data-dir flags into one config.
//
// Precedence, lowest to highest: built-in defaults < --config FILE < --set
// key=value (later --set wins over earlier) < --host/--port/--data-dir/--metrics-port.

import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  formatListeners,
  parseListenerList,
  resolveBrokerConfig,
  type BrokerConfig,
} from '../broker/config.js';
import { parseProperties, PropertiesSyntaxError } from '../broker/properties.js';

/** A problem with the command line or the config it names; the CLI exits with 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StartOptions {
  readonly host?: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly memory: boolean;
  /** --set key=value pairs in the order given. */
  readonly set: readonly (readonly [string, string])[];
  /** --config FILE */
  readonly configFile?: string;
  readonly logLevel: LogLevel;
  /** --nodes: how many nodes to run in this process (default 1, or the number of --node-listeners). */
  readonly nodes?: number;
  /** --node-listeners, one per node in Kafka's `listeners` form. */
  readonly nodeListeners?: readonly string[];
  /** --metrics-port: the Prometheus endpoint's port (the metrics.port config). */
  readonly metricsPort?: number;
  /** --console-port: serve the web console (off when not given). */
  readonly consolePort?: number;
  /** --console-host (default 127.0.0.1). */
  readonly consoleHost?: string;
}

/** Offline tools with their own options (bin/<name>.ts parses the rest of the line). */
export const TOOLS = ['verify', 'dump'] as const;
export type ToolName = (typeof TOOLS)[number];

export type CliCommand =
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'start'; readonly options: StartOptions }
  | { readonly command: 'tool'; readonly name: ToolName; readonly argv: readonly string[] };

export const USAGE = `Usage: kafkalite start [options]
       kafkalite verify --data-dir DIR [--json]
       kafkalite dump --data-dir DIR [--topic T] [--partition P] [--records] [--files] [--json]

A Kafka broker in one process: real Kafka clients connect to it unchanged.

Options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port PORT          port to listen on, 0 for any free port (default 9092)
  --data-dir DIR       data directory (default ./kafkalite-data)
  --memory             keep all data in memory; nothing is written to disk
  --config FILE        read broker configs from a server.properties file
  --set KEY=VALUE      set a broker config by its Kafka name (repeatable),
                       e.g. --set num.partitions=3 --set log.retention.hours=1
  --nodes N            run N nodes in this process (default 1); node i has node id
                       node.id + i and listens on each listener's port + i
  --node-listeners L   the listeners of one node in Kafka's form, e.g.
                       PLAINTEXT://127.0.0.1:19092 (repeatable: one per node,
                       in node id order; sets --nodes when that is not given)
  --metrics-port PORT  serve Prometheus metrics at http://HOST:PORT/metrics, 0 for
                       any free port (default: not served)
  --console-port PORT  serve the web console on this port (0: any free port); off
                       unless given
  --console-host HOST  the web console's address (default 127.0.0.1)
  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (default info)
  -h, --help           show this help
  -v, --version        print the version

--set wins over --config; --host, --port, --data-dir and --metrics-port win over both.
`;

/** Parses `kafkalite` arguments (without the node and script paths). */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const tool = TOOLS.find((t) => t === argv[0]);
  if (tool !== undefined) return { command: 'tool', name: tool, argv: argv.slice(1) };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        memory: { type: 'boolean' },
        set: { type: 'string', multiple: true },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        nodes: { type: 'string' },
        'node-listeners': { type: 'string', multiple: true },
        'metrics-port': { type: 'string' },
        'console-port': { type: 'string' },
        'console-host': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    // node's messages can span lines; the CLI prints one.
    throw new CliUsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  const { values, positionals } = parsed;

  if (values.help === true) return { command: 'help' };
  if (values.version === true) return { command: 'version' };

  const [command, ...extra] = positionals;
  if (command === undefined) throw new CliUsageError('missing command; try: kafkalite start');
  if (command === 'help') return { command: 'help' };
  if (command === 'version') return { command: 'version' };
  if (command !== 'start') throw new CliUsageError(`unknown command "${command}"; try: kafkalite start`);
  if (extra.length > 0) throw new CliUsageError(`unexpected argument "${extra[0]}"`);

  const port = portFlag('--port', values.port);
  const metricsPort = portFlag('--metrics-port', values['metrics-port']);
  const host = hostOption('--host', values.host);
  const consolePort = portFlag('--console-port', values['console-port']);
  const consoleHost = hostOption('--console-host', values['console-host']);
  if (consoleHost !== undefined && consolePort === undefined) throw new CliUsageError('--console-host needs --console-port');

  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.trim() === '') throw new CliUsageError('--data-dir must not be empty');

  const set: [string, string][] = [];
  for (const item of values.set ?? []) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    if (key === '') throw new CliUsageError(`--set expects KEY=VALUE, got "${item}"`);
    set.push([key, item.slice(eq + 1)]);
  }

  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
  }

  if (values.config !== undefined && values.config.trim() === '') {
    throw new CliUsageError('--config must name a file');
  }

  let nodes: number | undefined;
  if (values.nodes !== undefined) {
    nodes = /^\d+$/.test(values.nodes.trim()) ? Number(values.nodes.trim()) : NaN;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) throw new CliUsageError(`--nodes must be a whole number from 1 to 64, got "${values.nodes}"`);
  }
  const nodeListeners = values['node-listeners'];
  if (nodeListeners !== undefined && nodes !== undefined && nodeListeners.length !== nodes) {
    throw new CliUsageError(`--node-listeners was given ${nodeListeners.length} time(s) for --nodes ${nodes}; give it once per node`);
  }

  return {
    command: 'start',
    options: {
      ...(host !== undefined ? { host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(dataDir !== undefined ? { dataDir } : {}),
      memory: values.memory === true,
      set,
      ...(values.config !== undefined ? { configFile: values.config } : {}),
      logLevel,
      ...(nodes !== undefined ? { nodes } : {}),
      ...(nodeListeners !== undefined ? { nodeListeners } : {}),
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      ...(consolePort !== undefined ? { consolePort } : {}),
      ...(consoleHost !== undefined ? { consoleHost } : {}),
    },
  };
}

function portFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`${flag} must be a whole number from 0 to 65535, got "${text}"`);
  return port;
}

function hostOption(flag: string, text: string | undefined): string | undefined {
  const host = text?.trim();
  if (host !== undefined && (host === '' || /[\s,/]/.test(host))) throw new CliUsageError(`${flag} must be a host name or IP address, got "${text}"`);
  return host;
}

export interface StartConfig {
  /** Merged Kafka-named settings to hand to startBroker. */
  readonly config: Record<string, string>;
  /** The same, resolved and validated. */
  readonly broker: BrokerConfig;
  /** With several nodes: each node's listeners and advertised listeners, in Kafka's form. */
  readonly nodes?: readonly { readonly listeners: string; readonly advertisedListeners?: string }[];
}

/** The config's listeners for node i of several: each port + i (0 stays "any free port"). */
function shiftedListeners(listeners: readonly { name: string; host: string; port: number }[], i: number): string {
  return formatListeners(listeners.map((l) => ({ name: l.name, host: l.host, port: l.port === 0 ? 0 : l.port + i })));
}

/**
 * Reads --config (if any) and merges it with --set and the flags, then resolves
 * and validates the result. Throws CliUsageError with a one-line message for an
 * unreadable or malformed file or an invalid config.
 */
export async function resolveStartConfig(
  options: StartOptions,
  readText: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<StartConfig> {
  const config: Record<string, string> = Object.create(null) as Record<string, string>;

  if (options.configFile !== undefined) {
    let text: string;
    try {
      text = await readText(options.configFile);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      throw new CliUsageError(`cannot read config file ${options.configFile}: ${why}`);
    }
    try {
      for (const [k, v] of parseProperties(text)) config[k] = v;
    } catch (e) {
      if (e instanceof PropertiesSyntaxError) {
        throw new CliUsageError(`${options.configFile}: ${e.message}`);
      }
      throw e;
    }
  }

  for (const [k, v] of options.set) config[k] = v;

  try {
    if (options.host !== undefined || options.port !== undefined) {
      // Replace host and/or port of the first listener, keeping its name and any
      // further listeners; advertised.listeners follows when it is not set.
      const current = resolveBrokerConfig({ ...config }).listeners;
      const listeners = parseListenerList(formatListeners(current));
      const first = listeners[0]!;
      listeners[0] = {
        name: first.name,
        host: options.host ?? first.host,
        port: options.port ?? first.port,
      };
      config['listeners'] = formatListeners(listeners);
    }
    if (options.metricsPort !== undefined) config['metrics.port'] = String(options.metricsPort);
    if (options.dataDir !== undefined) {
      if (options.dataDir.includes(',')) {
        throw new CliUsageError(`--data-dir must be one directory, got "${options.dataDir}"`);
      }
      config['log.dirs'] = options.dataDir;
    }
    const broker = resolveBrokerConfig({ ...config });
    const count = options.nodes ?? options.nodeListeners?.length ?? 1;
    if (count === 1 && options.nodeListeners === undefined) return { config: { ...config }, broker };
    const advertised = config['advertised.listeners'] !== undefined ? broker.advertisedListeners : null;
    const nodes = Array.from({ length: count }, (_, i) => ({
      listeners: options.nodeListeners?.[i] ?? shiftedListeners(broker.listeners, i),
      ...(advertised && options.nodeListeners === undefined ? { advertisedListeners: shiftedListeners(advertised, i) } : {}),
    }));
    // Each node's listeners checked as `listeners` is.
    for (const [i, l] of nodes.entries()) {
      try {
        resolveBrokerConfig({ ...config, listeners: l.listeners, ...(l.advertisedListeners ? { 'advertised.listeners': l.advertisedListeners } : {}) });
      } catch (e) {
        throw new CliUsageError(`listeners of node ${i}: ${(e as Error).message}`);
      }
    }
    return { config: { ...config }, broker, nodes };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(e.message);
    throw e;
  }
}
