// bench/rebalance: the group coordinator under load, against the goals of issues
// 4 and 15. Runs every scenario of bench/rebalance/ (each file also runs alone);
// prints the tables and writes bench/results/bench-rebalance-<time>.json
// (compare two runs with `npx tsx bench/compare.ts A.json B.json`).
//
// The broker runs as a CHILD process (bench/harness/embedded-child.ts: startBroker()
// on a fresh data dir on the repo's file system, group.initial.rebalance.delay.ms=0,
// a pino logger at info level into an in-process sink that forwards the lines we
// measure with), one child for all rebalance sizes and one per commit/replay
// scenario, so broker and load generator each get a core of this 2-core machine.
// CPU use of both is printed to show which one is busy.
//
//   classic.ts  rebalance  classic rebalance latency, 1-1,000 members, beside a floor
//                          measured on a trivial server in the same run
//   kip848.ts   kip848     KIP-848 consumer groups of the same sizes, heartbeat rate,
//                          the side-by-side table
//   commits.ts  commit     OffsetCommit throughput, simple and member commits
//   replay.ts   replay     __consumer_offsets replay after 1,000,000 commit records
//
// Run: npx tsx bench/rebalance.ts [--only rebalance,kip848,commit,replay] [--sizes 1,10,100,1000]
//        [--rounds 1=300,10=300,100=200,1000=50] [--seconds 6] [--warmup 2]
//        [--kip848-rounds 10=100,100=50,1000=20]
//        [--connections 4] [--depth 32] [--commits 100000] [--restarts 3] [--quick]
//        [--profile DIR]   (broker children under --cpu-prof; prints top self time)
// The machine has 2 cores and may be shared: CPU use of broker and bench is printed
// with every figure; run it a few times and compare medians.
import { main } from './rebalance/common.js';
import { scenarios as classic } from './rebalance/classic.js';
import { scenarios as kip848 } from './rebalance/kip848.js';
import { scenarios as commits } from './rebalance/commits.js';
import { scenarios as replay } from './rebalance/replay.js';

main('bench/rebalance', [...classic, ...kip848, ...commits, ...replay]);
