// The floor child (startEmbeddedChild with echo): a trivial server with the
// rebalance's message pattern and no Kafka logic. Frames
// [size][cid int32][kind int8][members int32]; kind 0 is answered at once, kind 1
// is held until `members` of them are held, then all are answered (a JoinGroup
// or SyncGroup barrier). Each answer is one buffer, one socket.write.
import { createServer, type Socket } from 'node:net';

let held: { socket: Socket; cid: number }[] = [];
const answer = (socket: Socket, cid: number) => {
  const b = Buffer.allocUnsafe(32);
  b.writeInt32BE(28, 0);
  b.writeInt32BE(cid, 4);
  b.fill(0, 8);
  socket.write(b);
};
const server = createServer((socket) => {
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0);
      const cid = buf.readInt32BE(4);
      const kind = buf.readInt8(8);
      const members = buf.readInt32BE(9);
      buf = buf.subarray(4 + size);
      if (kind === 0) {
        answer(socket, cid);
      } else {
        held.push({ socket, cid });
        if (held.length >= members) {
          const all = held;
          held = [];
          for (const h of all) answer(h.socket, h.cid);
        }
      }
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ ev: 'listening', port: typeof a === 'object' && a ? a.port : 0, startBrokerMs: 0, sinceProcessStartMs: performance.now() })}\n`);
});
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ ev: 'stopped', closeMs: 0 })}\n`);
  process.exit(0);
});
