// This machine's own ceilings, measured in the same run as a benchmark so the
// benchmark can report ratios: loopback TCP throughput (to a sink in another
// process, as the broker is), sequential writes to the data directory,
// buffered and with fdatasync every 1 MiB, and the request/response floor.
import { fork } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHUNK = 64 * 1024;

/** MB/s (10^6 bytes) through a loopback socket into a sink process, over `seconds`, in writes of `writeBytes`. */
export async function loopbackCeiling(seconds = 2, writeBytes = CHUNK): Promise<number> {
  const sink = fork(fileURLToPath(new URL('./loopback-sink.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) => sink.once('message', (m) => resolve((m as { port: number }).port)));
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((r) => socket.once('connect', r));
  const chunk = Buffer.alloc(writeBytes, 7);
  let sent = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (performance.now() < deadline) {
        sent += writeBytes;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
  const received = await new Promise<number>((resolve) => {
    sink.once('message', (m) => resolve((m as { received: number }).received));
    socket.end();
  });
  const elapsed = (performance.now() - start) / 1000;
  sink.kill();
  return Math.min(sent, received) / elapsed / 1e6;
}

/**
 * The request/response floor: ms per sequential round trip of a 12-byte frame
 * ([size][correlation id][4 bytes]) to a trivial server in this process that
 * answers each frame at once with [size][correlation id]; no Kafka logic.
 * One sample per round (the mean over `roundTrips`), after a warm-up round.
 */
export async function echoRoundTripMs({ roundTrips = 1000, rounds = 5 } = {}): Promise<number[]> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const answer = Buffer.alloc(8);
        answer.writeInt32BE(4, 0);
        answer.writeInt32BE(buf.readInt32BE(4), 4);
        socket.write(answer);
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  let waiting: (() => void) | null = null;
  let got = 0;
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= 8 && waiting) {
      got -= 8;
      const w = waiting;
      waiting = null;
      w();
    }
  });
  const frame = Buffer.alloc(12);
  frame.writeInt32BE(8, 0);
  const out: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < roundTrips; i++) {
      frame.writeInt32BE(i, 4);
      await new Promise<void>((resolve) => {
        waiting = resolve;
        socket.write(frame);
      });
    }
    if (r > 0) out.push((performance.now() - t0) / roundTrips);
  }
  socket.destroy();
  await new Promise((r) => server.close(r));
  return out;
}

/** MB/s of sequential 64 KiB writes into `dir`, buffered or with fdatasync every `syncEvery` bytes. */
export async function diskCeiling(dir: string, { seconds = 2, syncEvery = 0 } = {}): Promise<{ mbps: number; syncsPerSec: number }> {
  const path = join(dir, `.ceiling-${process.pid}-${syncEvery}`);
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(CHUNK, 3);
  let written = 0;
  let sinceSync = 0;
  let syncs = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      await fh.write(chunk, 0, CHUNK);
      written += CHUNK;
      sinceSync += CHUNK;
      if (syncEvery > 0 && sinceSync >= syncEvery) {
        await fh.datasync();
        syncs++;
        sinceSync = 0;
      }
    }
    if (syncEvery > 0) await fh.datasync();
  } finally {
    await fh.close();
    await rm(path, { force: true });
  }
  const elapsed = (performance.now() - start) / 1000;
  return { mbps: written / elapsed / 1e6, syncsPerSec: syncs / elapsed };
}
