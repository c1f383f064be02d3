// GET /metrics in Prometheus's text exposition format, as a request listener any
// node:http server can use (the broker's --metrics-port server, the web console's).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { BrokerMetrics } from './metrics.js';

/** Serves `GET /metrics` (and HEAD); 404 for any other path, 405 for another method on /metrics. Turns on process metrics. */
export function metricsRequestListener(metrics: BrokerMetrics, logger?: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  metrics.enableProcessMetrics();
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end(`Method ${req.method} not allowed on /metrics\n`);
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        logger?.error({ err }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('collecting metrics failed\n');
      },
    );
  };
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics`, with a loopback address for a wildcard host. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An HTTP server for the endpoint on host:port (0: any free port). Rejects with
 * the listen error (EADDRINUSE ...), marked as the --metrics-port's for the
 * start-up message.
 */
export async function startMetricsServer(metrics: BrokerMetrics, host: string, port: number, logger: Logger): Promise<MetricsServer> {
  const server = createServer(metricsRequestListener(metrics, logger));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(Object.assign(err, { flag: '--metrics-port' })));
    server.listen({ host: host === '' ? undefined : host, port }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => logger.error({ err }, 'metrics server error'));
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const reach = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return {
    host,
    port: bound,
    url: `http://${reach.includes(':') ? `[${reach}]` : reach}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold close() open.
        server.closeAllConnections();
      }),
  };
}
