// One node's network side: a TCP server per listener, the connections it
// accepted, and stop/start for the test double's stopNode/startNode (a stopped
// node refuses connections and has closed the ones it had; started again it
// listens on the same ports).
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Connection } from './connection.js';
import type { BrokerContext } from './context.js';

export interface BindAddress {
  /** Listener name (PLAINTEXT, or the name `listeners` gives it). */
  readonly name: string;
  /** '' or a wildcard means every interface. */
  readonly host: string;
  /** 0: any free port (kept for restarts once bound). */
  port: number;
}

export class NodeServer {
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<Connection>();
  private contexts: ReadonlyMap<string, BrokerContext> | null = null;
  /** Connections accepted during start-up, served once the broker is ready. */
  private early: [string, Socket][] = [];

  constructor(
    readonly nodeId: number,
    readonly binds: BindAddress[],
    private readonly logger: Logger,
  ) {}

  get listening(): boolean {
    return this.servers.length > 0;
  }

  /** Binds every listener; ports given as 0 are replaced by the ports bound. */
  async listen(): Promise<void> {
    if (this.listening) return;
    const servers: Server[] = [];
    try {
      for (const b of this.binds) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: b.host === '' ? undefined : b.host, port: b.port }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        const address = server.address();
        if (typeof address === 'object' && address) b.port = address.port;
        server.on('connection', (socket) => this.accept(b.name, socket));
        servers.push(server);
      }
    } catch (err) {
      for (const s of servers) s.close();
      throw err;
    }
    this.servers = servers;
  }

  /** Starts serving requests, with the context of the listener a connection came in on. */
  serve(contexts: ReadonlyMap<string, BrokerContext>): void {
    this.contexts = contexts;
    for (const [listener, socket] of this.early.splice(0)) if (!socket.destroyed) this.accept(listener, socket);
  }

  private accept(listener: string, socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const ctx = this.contexts?.get(listener);
    if (!ctx) {
      this.early.push([listener, socket]);
      return;
    }
    const meter = ctx.metrics.listener(listener);
    meter.accepted++;
    this.connections.add(
      new Connection(socket, ctx, (c) => {
        meter.closed++;
        this.connections.delete(c);
      }),
    );
  }

  /** Stops listening and closes every connection; requests already read are not handled (their answers could not be sent). */
  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const c of this.connections) c.close('node stopping', 'debug');
    for (const s of this.sockets) s.destroy();
    await closed;
    this.logger.info({ node: this.nodeId }, 'node stopped listening');
  }
}
