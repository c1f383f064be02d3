// One node's network side: a TCP (or TLS) server per listener, the connections it
// accepted with who is on the other end, and stop/start for the test double's
// stopNode/startNode (a stopped node refuses connections and has closed the ones it
// had; started again it listens on the same ports).
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Connection } from './connection.js';
import type { BrokerContext } from './context.js';
import { ConnectionSecurity } from './security/connection-security.js';
import { ANONYMOUS, distinguishedName, mapPrincipalName } from './security/principal.js';
import { SaslAuthenticator } from './security/sasl/authenticator.js';
import type { ListenerSecurity } from './security/listener-security.js';

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
    /** Per listener name: TLS options for its server, SASL settings for its connections. */
    private readonly security: ReadonlyMap<string, ListenerSecurity>,
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
        const tls = this.security.get(b.name)?.tls ?? null;
        const server = tls !== null ? createTlsServer(tls) : createServer();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: b.host === '' ? undefined : b.host, port: b.port }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        const address = server.address();
        if (typeof address === 'object' && address) b.port = address.port;
        if (tls !== null) {
          // Plaintext or an untrusted certificate on a TLS port: the handshake fails and the socket closes.
          server.on('tlsClientError', (err, socket) => {
            this.logger.warn({ listener: b.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }, 'TLS handshake failed; connection closed');
          });
          server.on('secureConnection', (socket) => this.accept(b.name, socket));
        } else {
          server.on('connection', (socket) => this.accept(b.name, socket));
        }
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
    // connection_creation_rate: over its IP's rate, the connection is closed unserved after the throttle time (Kafka's delayed close).
    const throttleMs = ctx.quotas.connections.recordConnection(socket.remoteAddress ?? '', ctx.clock.now());
    if (throttleMs > 0) {
      ctx.rateLimitedLog.log(this.logger, 'info', `connection rate: ${socket.remoteAddress}`, { listener, remote: socket.remoteAddress, throttleMs }, 'connection_creation_rate exceeded; closing the connection after the throttle time');
      socket.pause();
      const timer = ctx.clock.setTimeout(() => socket.destroy(), throttleMs);
      socket.once('close', () => timer.cancel());
      return;
    }
    const security = this.securityOf(ctx, socket);
    if (security === null) return;
    const meter = ctx.metrics.listener(listener);
    meter.accepted++;
    this.connections.add(
      new Connection(
        socket,
        ctx,
        (c) => {
          meter.closed++;
          this.connections.delete(c);
        },
        security,
      ),
    );
  }

  /** The connection's principal and authenticator; null when the client certificate is refused (socket destroyed). */
  private securityOf(ctx: BrokerContext, socket: Socket): ConnectionSecurity | null {
    const ls = ctx.listenerSecurity;
    let principal = ANONYMOUS;
    if (ls.tls !== null) {
      const tlsSocket = socket as TLSSocket;
      const peer = tlsSocket.getPeerCertificate();
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      if (peer?.raw) {
        // `requested`: a certificate sent must be trusted (as Java's "want" client auth).
        if (!tlsSocket.authorized) {
          this.logger.warn({ listener: ls.name, remote, err: String(tlsSocket.authorizationError) }, 'untrusted client certificate; connection closed');
          socket.destroy();
          return null;
        }
        try {
          principal = `User:${mapPrincipalName(ls.principalRules, distinguishedName(peer.raw))}`;
          this.logger.debug({ listener: ls.name, remote, principal }, 'TLS client certificate accepted');
        } catch (err) {
          this.logger.warn({ listener: ls.name, remote, err: (err as Error).message }, 'no principal for the client certificate; connection closed');
          socket.destroy();
          return null;
        }
      }
    }
    const sasl = ls.sasl !== null ? new SaslAuthenticator(ls.sasl, ctx.scram, () => ctx.clock.now()) : null;
    return new ConnectionSecurity(ls.protocol, principal, sasl);
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
