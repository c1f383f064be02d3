import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs, resolveStartConfig, type StartOptions } from './args.js';

function startOptions(argv: string[]): StartOptions {
  const cmd = parseCliArgs(argv);
  if (cmd.command !== 'start') throw new Error(`expected start, got ${cmd.command}`);
  return cmd.options;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliUsageError) return e.message;
    throw e;
  }
  throw new Error('expected a CliUsageError');
}

async function usageErrorAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CliUsageError) return e.message;
    throw e;
  }
  throw new Error('expected a CliUsageError');
}

const files = (map: Record<string, string>) => async (path: string): Promise<string> => {
  const text = map[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};

describe('parseCliArgs', () => {
  it('parses start with every option', () => {
    expect(
      startOptions([
        'start',
        '--host', '0.0.0.0',
        '--port', '19092',
        '--data-dir', '/tmp/k',
        '--memory',
        '--set', 'num.partitions=3',
        '--set', 'log.retention.ms=1000',
        '--config', 'server.properties',
        '--log-level', 'debug',
        '--metrics-port', '9404',
      ]),
    ).toEqual({
      host: '0.0.0.0',
      port: 19092,
      dataDir: '/tmp/k',
      memory: true,
      set: [
        ['num.partitions', '3'],
        ['log.retention.ms', '1000'],
      ],
      configFile: 'server.properties',
      logLevel: 'debug',
      metricsPort: 9404,
    });
  });

  it('has quiet defaults', () => {
    expect(startOptions(['start'])).toEqual({ memory: false, set: [], logLevel: 'info' });
  });

  it('accepts --opt=value and values containing "="', () => {
    expect(startOptions(['start', '--port=0', '--set=listeners=PLAINTEXT://h:1']).set).toEqual([
      ['listeners', 'PLAINTEXT://h:1'],
    ]);
    expect(startOptions(['start', '--set', 'x=']).set).toEqual([['x', '']]);
  });

  it('turns the web console on only with --console-port', () => {
    expect(startOptions(['start']).consolePort).toBeUndefined();
    expect(startOptions(['start', '--console-port', '8080'])).toMatchObject({ consolePort: 8080 });
    expect(startOptions(['start', '--console-port=0', '--console-host', '0.0.0.0'])).toMatchObject({ consolePort: 0, consoleHost: '0.0.0.0' });
  });

  it('recognises help and version', () => {
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['-h'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['start', '--help'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['help'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['--version'])).toEqual({ command: 'version' });
    expect(parseCliArgs(['-v'])).toEqual({ command: 'version' });
  });

  it('rejects bad command lines with one-line messages', () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['stop'], /unknown command "stop"/],
      [['start', 'extra'], /unexpected argument "extra"/],
      [['start', '--bogus'], /bogus/],
      [['start', '--port'], /port/],
      [['start', '--port', 'abc'], /--port must be a whole number from 0 to 65535/],
      [['start', '--port', '65536'], /--port/],
      [['start', '--port', '-1'], /port/],
      [['start', '--metrics-port', 'x'], /--metrics-port must be a whole number from 0 to 65535, got "x"/],
      [['start', '--metrics-port', '70000'], /--metrics-port/],
      [['start', '--host', ''], /--host/],
      [['start', '--data-dir', ' '], /--data-dir/],
      [['start', '--set', 'novalue'], /--set expects KEY=VALUE, got "novalue"/],
      [['start', '--set', '=1'], /--set expects KEY=VALUE/],
      [['start', '--log-level', 'loud'], /--log-level/],
      [['start', '--memory=yes'], /memory/],
      [['start', '--console-port', 'web'], /--console-port must be a whole number from 0 to 65535, got "web"/],
      [['start', '--console-port', '8080', '--console-host', 'a b'], /--console-host must be a host name/],
      [['start', '--console-host', '0.0.0.0'], /--console-host needs --console-port/],
    ];
    for (const [argv, pattern] of cases) {
      const message = usageError(() => parseCliArgs(argv));
      expect(message, argv.join(' ')).toMatch(pattern);
      expect(message).not.toContain('\n');
    }
  });
});

describe('resolveStartConfig', () => {
  it('uses the table defaults: 127.0.0.1:9092 and ./kafkalite-data', async () => {
    const { config, broker } = await resolveStartConfig(startOptions(['start']));
    expect(config).toEqual({});
    expect(broker.listeners[0]).toMatchObject({ host: '127.0.0.1', port: 9092 });
    expect(broker.logDir).toBe('./kafkalite-data');
  });

  it('layers --config < --set < --host/--port/--data-dir', async () => {
    const read = files({
      'server.properties': [
        'num.partitions=2',
        'log.retention.hours=5',
        'listeners=PLAINTEXT://10.0.0.1:9000',
        'log.dirs=/from/file',
      ].join('\n'),
    });
    const { config, broker } = await resolveStartConfig(
      startOptions([
        'start',
        '--config', 'server.properties',
        '--set', 'num.partitions=7',
        '--set', 'listeners=PLAINTEXT://10.0.0.2:9100',
        '--port', '9200',
        '--data-dir', '/from/flag',
      ]),
      read,
    );
    expect(broker.values['num.partitions']).toBe(7);
    expect(broker.topicDefaults['retention.ms']).toBe(5 * 3600000);
    expect(broker.listeners[0]).toMatchObject({ host: '10.0.0.2', port: 9200 });
    expect(broker.logDir).toBe('/from/flag');
    expect(config['listeners']).toBe('PLAINTEXT://10.0.0.2:9200');
    expect(config['log.dirs']).toBe('/from/flag');
  });

  it('--metrics-port wins over metrics.port from --config and --set', async () => {
    const read = files({ 'server.properties': 'metrics.port=9000' });
    const fromFile = await resolveStartConfig(startOptions(['start', '--config', 'server.properties', '--set', 'metrics.port=9100']), read);
    expect(fromFile.broker.values['metrics.port']).toBe(9100);
    const { broker } = await resolveStartConfig(startOptions(['start', '--config', 'server.properties', '--set', 'metrics.port=9100', '--metrics-port', '0']), read);
    expect(broker.values['metrics.port']).toBe(0);
    expect((await resolveStartConfig(startOptions(['start']))).broker.values['metrics.port']).toBeNull();
  });

  it('--host and --port replace only what they name; advertised follows when unset', async () => {
    const { broker } = await resolveStartConfig(startOptions(['start', '--host', '::1']));
    expect(broker.listeners[0]).toMatchObject({ host: '::1', port: 9092 });
    expect(broker.advertisedListeners[0]).toMatchObject({ host: '::1', port: 9092 });
    const pinned = await resolveStartConfig(
      startOptions(['start', '--port', '0', '--set', 'advertised.listeners=PLAINTEXT://public:9092']),
    );
    expect(pinned.broker.listeners[0]).toMatchObject({ host: '127.0.0.1', port: 0 });
    expect(pinned.broker.advertisedListeners[0]).toMatchObject({ host: 'public', port: 9092 });
  });

  it('--data-dir overrides log.dir as well as log.dirs', async () => {
    const { broker } = await resolveStartConfig(
      startOptions(['start', '--set', 'log.dir=/a', '--data-dir', './here']),
    );
    expect(broker.logDir).toBe('./here');
  });

  it('reports unknown keys without failing', async () => {
    const { broker } = await resolveStartConfig(startOptions(['start', '--set', 'num.io.threads=8']));
    expect(broker.unknown).toEqual(['num.io.threads']);
  });

  it('turns file and config problems into usage errors', async () => {
    expect(await usageErrorAsync(resolveStartConfig(startOptions(['start', '--config', 'missing.properties']), files({})))).toBe(
      'cannot read config file missing.properties: no such file',
    );
    expect(
      await usageErrorAsync(
        resolveStartConfig(startOptions(['start', '--config', 'bad.properties']), files({ 'bad.properties': 'a=\\uZZZZ' })),
      ),
    ).toMatch(/^bad\.properties: line 1: malformed/);
    expect(await usageErrorAsync(resolveStartConfig(startOptions(['start', '--set', 'num.partitions=0'])))).toBe(
      'Invalid value 0 for configuration num.partitions: Value must be at least 1 (valid values: [1,...])',
    );
    expect(await usageErrorAsync(resolveStartConfig(startOptions(['start', '--data-dir', '/a,/b'])))).toMatch(
      /one directory/,
    );
  });
});

describe('several nodes (--nodes, --node-listeners)', () => {
  it('gives node i every listener of the config at its port + i, advertised listeners alike', async () => {
    const text = 'listeners=PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9192\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT\nadvertised.listeners=PLAINTEXT://kafka:9092,INTERNAL://127.0.0.1:9192\n';
    const { nodes } = await resolveStartConfig(startOptions(['start', '--config', 'server.properties', '--nodes', '3']), files({ 'server.properties': text }));
    expect(nodes?.map((n) => n.listeners)).toEqual([
      'PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9192',
      'PLAINTEXT://127.0.0.1:9093,INTERNAL://127.0.0.1:9193',
      'PLAINTEXT://127.0.0.1:9094,INTERNAL://127.0.0.1:9194',
    ]);
    expect(nodes?.[2]?.advertisedListeners).toBe('PLAINTEXT://kafka:9094,INTERNAL://127.0.0.1:9194');
    expect((await resolveStartConfig(startOptions(['start', '--port', '0', '--nodes', '2']))).nodes?.map((n) => n.listeners)).toEqual([
      'PLAINTEXT://127.0.0.1:0',
      'PLAINTEXT://127.0.0.1:0',
    ]);
    expect((await resolveStartConfig(startOptions(['start']))).nodes).toBeUndefined();
  });

  it('takes explicit listeners per node, and refuses a count that does not match or a bad listener', async () => {
    const { nodes } = await resolveStartConfig(startOptions(['start', '--node-listeners', 'PLAINTEXT://127.0.0.1:19092', '--node-listeners', 'PLAINTEXT://127.0.0.1:29092']));
    expect(nodes?.map((n) => n.listeners)).toEqual(['PLAINTEXT://127.0.0.1:19092', 'PLAINTEXT://127.0.0.1:29092']);
    expect(usageError(() => startOptions(['start', '--nodes', '3', '--node-listeners', 'PLAINTEXT://127.0.0.1:1']))).toMatch(/once per node/);
    expect(usageError(() => startOptions(['start', '--nodes', '0']))).toMatch(/--nodes must be a whole number/);
    expect(await usageErrorAsync(resolveStartConfig(startOptions(['start', '--node-listeners', 'nonsense'])))).toMatch(/listeners of node 0/);
    expect(await usageErrorAsync(resolveStartConfig(startOptions(['start', '--set', 'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SECURE:SSL', '--node-listeners', 'SECURE://127.0.0.1:9093'])))).toMatch(/listeners of node 0: inter.broker.listener.name must be a listener name/);
  });
});
