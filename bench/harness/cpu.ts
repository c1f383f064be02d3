// CPU meters from /proc: the broker child (all threads, and its main thread =
// the event loop), this load generator, and everything else on the machine
// (noise: other work sharing the cores).
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) of a process so far: all threads, or with `mainOnly` its main thread. */
export function processCpuSeconds(pid: number, mainOnly = false): number {
  try {
    const s = readFileSync(mainOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (CLK_TCK 100)
  } catch {
    return NaN;
  }
}

/** CPU seconds of this process (all threads) so far. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds the whole machine has spent busy so far (all cores). */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + (f[4] ?? 0);
    return (f.reduce((a, b) => a + b, 0) - idle) / 100;
  } catch {
    return NaN;
  }
}

/** CPU over a window, each as a fraction of one core (1 = 100%). */
export interface CpuShares {
  /** The broker process, all threads. */
  broker: number;
  /** Its main thread alone: near 1 means the event loop is the bottleneck. */
  brokerMain: number;
  /** This process: the load generator. */
  load: number;
  /** The rest of the machine during the window: noise. */
  other: number;
  seconds: number;
}

/** Starts a window; the returned function ends it. */
export function cpuWindow(pid: number): () => CpuShares {
  const b0 = processCpuSeconds(pid);
  const m0 = processCpuSeconds(pid, true);
  const l0 = selfCpuSeconds();
  const o0 = machineBusySeconds();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const broker = (processCpuSeconds(pid) - b0) / seconds;
    const load = (selfCpuSeconds() - l0) / seconds;
    return { broker, brokerMain: (processCpuSeconds(pid, true) - m0) / seconds, load, other: (machineBusySeconds() - o0) / seconds - broker - load, seconds };
  };
}
