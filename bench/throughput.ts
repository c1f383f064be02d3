// bench/throughput: the broker's data path end to end, next to this machine's
// ceilings measured in the same run, against the goals of issue 15. Runs every
// scenario of bench/throughput/ (each file also runs alone); prints one table and
// writes bench/results/bench-throughput-<time>.json (compare two runs with
// `npx tsx bench/compare.ts A.json B.json`).
//
// The broker runs as a CHILD process (`bin/kafkalite.ts start`, one per
// scenario, on a fresh data dir on the repo's file system, with a metrics port),
// so broker and load generator each get a core. The load generator speaks the
// protocol on raw sockets with PRE-BUILT request frames (built once, re-sent as
// they are) and pipelining, so it is not the bottleneck; its CPU use is printed
// to prove it. Every scenario row shows the CPU of the broker (all threads, and
// its main thread = the event loop), of the load generator, and of everything
// else on the machine during the window ("other": noise; above ~20% the figures
// are not trustworthy), and a second table the broker's own counters over the
// window (fsyncs, bytes written, tail-cache hits, GC share, event-loop use).
//
// Scenarios (each figure is the median of per-interval rates):
//   produce.ts       a, b, b64  produce acks=1 (1 KiB / 100 B records)
//   group-commit.ts  c, c64     produce acks=-1, group commit, 64 producers
//   tail-fetch.ts    d          fetch from the tail, 4 consumers
//   latency.ts       e, e50     produce-to-consume latency at 5,000 rec/s and at
//                               50% of the max produce rate
//   partitions.ts    partitions produce over 1,000 partitions against one
//   librdkafka.ts    rdkafka    a librdkafka producer against kafkalite and
//                               against librdkafka's mock cluster
//
// Run: npx tsx bench/throughput.ts [--seconds 8] [--warmup 2] [--only a,c,e] [--quick]
//        [--profile DIR]  (broker child under --cpu-prof; prints top self time)
// Env: BENCH_SECONDS, BENCH_WARMUP, BENCH_ONLY, BENCH_PROFILE, BENCH_NODE_FLAGS,
//      BENCH_FETCH_DEPTH, BENCH_PRODUCE_DEPTH (bench/throughput/common.ts).
import { main } from './throughput/common.js';
import { scenarios as produce } from './throughput/produce.js';
import { scenarios as groupCommit } from './throughput/group-commit.js';
import { scenarios as tailFetch } from './throughput/tail-fetch.js';
import { scenarios as latency } from './throughput/latency.js';
import { scenarios as partitions } from './throughput/partitions.js';
import { scenarios as librdkafka } from './throughput/librdkafka.js';

main('bench/throughput', [...produce, ...groupCommit, ...tailFetch, ...latency, ...partitions, ...librdkafka]);
