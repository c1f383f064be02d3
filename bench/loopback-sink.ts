// Child process for the loopback ceiling: accepts one connection, counts bytes.
import { createServer } from 'node:net';

const server = createServer((socket) => {
  let received = 0;
  socket.on('data', (d) => (received += d.length));
  socket.on('end', () => {
    process.send?.({ received });
    socket.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 });
});
