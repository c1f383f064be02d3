// bench/throughput/librdkafka: produce of 100 B records from a librdkafka producer
// (rdkafka-producer.c, built by gcc against librdkafka-dev: acks=1, librdkafka's
// own batching, partition 0) against kafkalite, and the same program against
// librdkafka's in-memory mock cluster (test.mock.num.brokers=1) in the same run:
// records acknowledged per second, and the ratio (issue 15's goal: >= 0.8x).
// Prints "not available" without gcc, pkg-config or librdkafka-dev.
// Run alone: npx tsx bench/throughput/librdkafka.ts [--quick]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildRdkafkaProgram, librdkafkaVersion } from '../../compat-tests/support/librdkafka.js';
import { cpuWindow, processCpuSeconds, type CpuShares } from '../harness/cpu.js';
import { countersWindow, type BrokerCounters } from '../harness/metrics.js';
import { isMain, main, medianOf, rangeOf, row, setup, startBroker, type Context, type Scenario } from './common.js';

const SOURCE = fileURLToPath(new URL('./rdkafka-producer.c', import.meta.url));

interface Run {
  perSecond: number[];
  errors: number;
  /** The producer process's CPU over its run, fraction of a core. */
  producerCpu: number;
}

function runProducer(program: string, target: string, topic: string, seconds: number, warmup: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [target, topic, String(seconds), String(warmup)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const perSecond: number[] = [];
    let errors = 0;
    let stderr = '';
    let cpu = 0;
    const t0 = performance.now();
    const sample = setInterval(() => (cpu = processCpuSeconds(child.pid!)), 200);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [k, v] = line.split(' ');
      if (k === 'delivered') perSecond.push(Number(v));
      if (k === 'errors') errors = Number(v);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(sample);
      if (code !== 0) reject(new Error(`rdkafka-producer ${target} exited ${code}: ${stderr.trim().slice(-500)}`));
      else resolve({ perSecond, errors, producerCpu: cpu / ((performance.now() - t0) / 1000) });
    });
  });
}

async function librdkafka(ctx: Context): Promise<void> {
  const version = librdkafkaVersion();
  if (!version) {
    process.stdout.write('librdkafka: not available (needs gcc, pkg-config and librdkafka-dev)\n');
    row(ctx, 'rdkafka', { title: '(rdkafka) librdkafka producer vs its mock cluster', figure: 'records/s', value: NaN, notes: 'not available' });
    return;
  }
  const program = buildRdkafkaProgram(SOURCE);
  const { seconds, warmup } = ctx.opts;
  const mock = await runProducer(program, 'mock', 'bench-rdkafka', seconds, warmup);
  const broker = await startBroker(ctx, 'rdkafka');
  let run: Run;
  let cpu: CpuShares;
  let counters: BrokerCounters | null;
  try {
    (await setup(broker.port, 'bench-rdkafka', 1)).close();
    const endCounters = await countersWindow(broker.scrape);
    const endCpu = cpuWindow(broker.pid);
    run = await runProducer(program, `127.0.0.1:${broker.port}`, 'bench-rdkafka', seconds, warmup);
    cpu = endCpu();
    counters = await endCounters();
  } finally {
    await broker.stop();
  }
  const rate = medianOf(run.perSecond);
  const mockRate = medianOf(mock.perSecond);
  const ratio = rate / mockRate;
  const errors = run.errors + mock.errors;
  row(ctx, 'rdkafka', {
    title: `(rdkafka) ${version}, 100 B records, acks=1, 1 part, against kafkalite${errors ? ` [${errors} ERRORS]` : ''}`,
    figure: 'records/s',
    value: rate,
    range: rangeOf(run.perSecond),
    ceiling: mockRate,
    ceilingName: 'mock cluster',
    ratio,
    goal: '>= 80% of the mock cluster',
    met: ratio >= 0.8,
    cpu,
    counters,
    notes: `producer process CPU ${(run.producerCpu * 100).toFixed(0)}% (against kafkalite), ${(mock.producerCpu * 100).toFixed(0)}% (mock, broker inside)`,
  });
  row(ctx, 'rdkafka', { title: '(the same producer against librdkafka\'s mock cluster, same run)', figure: 'mock records/s', value: mockRate, range: rangeOf(mock.perSecond) });
}

export const scenarios: Scenario[] = [{ id: 'rdkafka', run: librdkafka }];

if (isMain(import.meta.url)) main('bench/throughput/librdkafka', scenarios);
