#!/usr/bin/env node
// `kafkalite start`: runs one broker (or, with --nodes, several nodes of one
// cluster in this process) until SIGINT/SIGTERM; `kafkalite verify` and
// `kafkalite dump` are offline tools on a data directory (bin/verify.ts, bin/dump.ts).
//
// Exit codes: 0 after a clean shutdown (or --help/--version), 2 for a bad command
// line or config (one line on stderr), 1 when the broker fails to start or to
// close. A second SIGINT/SIGTERM during shutdown exits at once (130/143).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError, parseCliArgs, resolveStartConfig, USAGE, type StartOptions } from './args.js';
import { createLogger } from '../broker/logger.js';
import { startBroker, startCluster, type BrokerOptions } from '../broker/broker.js';
import { isToolCommand, runTool, TOOL_USAGE } from './commands/index.js';
import { describeStartupError } from './startup-errors.js';

function packageVersion(): string {
  // Works from bin/ (tsx) and from dist/bin/ (built).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kafkalite' && pkg.version !== undefined) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

function usageError(message: string): never {
  process.stderr.write(`kafkalite: ${message}\n`);
  process.exit(2);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

async function start(options: StartOptions): Promise<void> {
  let resolved;
  try {
    resolved = await resolveStartConfig(options);
  } catch (e) {
    if (e instanceof CliUsageError) usageError(e.message);
    throw e;
  }
  const { config, broker: brokerConfig } = resolved;
  const logger = createLogger({ level: options.logLevel });

  // Unknown keys are not warned about here: startBroker resolves the same config
  // with this logger, which warns once per unknown key.
  if (options.memory && options.dataDir !== undefined) {
    logger.warn({ dataDir: options.dataDir }, '--data-dir is unused with --memory');
  }

  // Pass the effective address and data dir explicitly: startBroker on its own
  // defaults to port 0 and in-memory storage (its test-double defaults), while
  // the CLI's defaults are the config table's (127.0.0.1:9092, ./kafkalite-data).
  const listener = brokerConfig.listeners[0]!;
  const brokerOptions: BrokerOptions = {
    config,
    memory: options.memory,
    logger,
    testDefaults: false,
    requestLogSize: 0,
    ...(options.consolePort !== undefined ? { consolePort: options.consolePort } : {}),
    ...(options.consoleHost !== undefined ? { consoleHost: options.consoleHost } : {}),
    host: listener.host,
    port: listener.port,
    ...(options.memory ? {} : { dataDir: brokerConfig.logDir }),
  };

  const dataDir = resolve(brokerConfig.logDir);
  const stored = options.memory ? ', data in memory' : `, data in ${dataDir}`;
  let running: { close(): Promise<void>; readonly metricsEndpoint: { readonly url: string } | null };
  try {
    if (resolved.nodes) {
      const { host: _host, port: _port, ...clusterOptions } = brokerOptions;
      const cluster = await startCluster({
        ...clusterOptions,
        nodes: resolved.nodes.length,
        listeners: resolved.nodes.map((n) => n.listeners),
        ...(resolved.nodes.every((n) => n.advertisedListeners !== undefined) ? { advertisedListeners: resolved.nodes.map((n) => n.advertisedListeners!) } : {}),
      });
      running = cluster;
      // One banner line: every node, what clients are told, where data lives.
      logger.info(
        { nodes: cluster.nodes.map((n) => ({ nodeId: n.nodeId, advertised: hostPort(n.host, n.port) })), ...(options.memory ? { memory: true } : { dataDir }) },
        `kafkalite ${packageVersion()}: ${cluster.nodes.length} nodes listening, bootstrap ${cluster.bootstrap}${stored}`,
      );
    } else {
      const broker = await startBroker(brokerOptions);
      running = broker;
      // One banner line: where it listens, what clients are told, where data lives.
      const bindPort = listener.port !== 0 ? listener.port : broker.port;
      const where = hostPort(listener.host === '' ? '0.0.0.0' : listener.host, bindPort);
      const clientsUse = hostPort(broker.host, broker.port);
      logger.info(
        { listen: where, advertised: clientsUse, nodeId: brokerConfig.nodeId, ...(options.memory ? { memory: true } : { dataDir }) },
        `kafkalite ${packageVersion()} listening on ${where}` + (clientsUse !== where ? ` (advertised as ${clientsUse})` : '') + stored,
      );
    }
  } catch (e) {
    // One line with a hint for the operator; the stack only at debug level.
    logger.debug({ err: e }, 'start-up failed');
    process.stderr.write(`kafkalite: ${describeStartupError(e, { host: listener.host, port: listener.port, dataDir: options.memory ? undefined : brokerConfig.logDir })}\n`);
    process.exit(1);
  }
  if (running.metricsEndpoint) logger.info({ metrics: running.metricsEndpoint.url }, `Prometheus metrics at ${running.metricsEndpoint.url}`);

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    logger.info({ signal }, `${signal} received, shutting down`);
    running.close().then(
      () => {
        logger.info('kafkalite stopped');
        process.exit(0);
      },
      (e: unknown) => {
        logger.error({ err: e }, `error while shutting down: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function main(argv: readonly string[]): Promise<void> {
  if (isToolCommand(argv[0])) {
    process.exitCode = await runTool(argv);
    return;
  }
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (e) {
    if (e instanceof CliUsageError) usageError(`${e.message} (see kafkalite --help)`);
    throw e;
  }
  switch (command.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n${TOOL_USAGE}`);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'start':
      await start(command.options);
      return;
    case 'tool': {
      const run = command.name === 'verify' ? (await import('./verify.js')).verifyCommand : (await import('./dump.js')).dumpCommand;
      try {
        process.exitCode = await run(command.argv);
      } catch (e) {
        if (e instanceof CliUsageError) usageError(`${e.message} (see kafkalite ${command.name} --help)`);
        throw e;
      }
      return;
    }
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`kafkalite: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
