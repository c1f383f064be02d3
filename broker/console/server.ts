// The web console's HTTP server (node:http), in the broker's process: the
// front-end's static files (built by `npm run build` into dist/console, no
// CDN), a small JSON API over the broker's own state, and a server-sent event
// stream that tells open pages when to read again (topics created or deleted,
// leaders moved, rebalances, and a tick for offsets and lag). With the broker's
// metrics it also serves GET /metrics (Prometheus) and request rates and latency.
//
// Bad input gets a 4xx JSON answer {"error": "..."}; a bug gets a 500 with a
// log line, never a stack trace in the answer. A POST must be JSON from the
// console's own origin (a page elsewhere cannot make the browser send one
// without a CORS preflight, which this server never grants).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../../client/kafka-client.js';
import { ConsoleError, groupDetail, groupList, nodeList, rebalanceTimeline, topicDetail, topicList, type ConsoleSources } from './state.js';
import { browse, produce } from './messages.js';
import { RateSampler } from './rates.js';
import { metricsRequestListener } from '../metrics/http.js';
import type { BrokerMetrics } from '../metrics/metrics.js';

export interface ConsoleOptions {
  readonly sources: ConsoleSources;
  /** Where the produce form's client connects: the broker's own listener. */
  /** The listener the produce form connects to; null when the broker has no PLAINTEXT listener. */
  readonly bootstrap: () => HostPort | null;
  readonly logger: Logger;
  /** Default 127.0.0.1: the console can write records, so it is not exposed unless asked. */
  readonly host?: string;
  readonly port: number;
  /** How often open pages are told to read offsets and lag again (default 2000 ms). */
  readonly tickMs?: number;
  /** The broker's metrics: served at /metrics (Prometheus) and as rates on the console's metrics page. */
  readonly metrics?: BrokerMetrics;
}

export interface RunningConsole {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The package's root (holds package.json), from this module's place in source or in dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kafkalite') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('kafkalite package root not found');
    dir = up;
  }
}

/** Where `npm run build` puts the front-end (console/build.ts). */
export const CONSOLE_ASSETS_DIR = join(packageRoot(), 'dist', 'console');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const STATIC = new Set(['/index.html', '/app.js', '/app.css']);
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ConsoleError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" (a sandboxed page) or garbage
  }
}

type Route = (m: string[], url: URL, req: IncomingMessage) => Promise<unknown> | unknown;

export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const { sources, logger } = opts;
  const log = logger.child({ component: 'console' });
  const host = opts.host ?? '127.0.0.1';

  const sampler = opts.metrics ? new RateSampler(opts.metrics) : undefined;
  const prometheus = opts.metrics ? metricsRequestListener(opts.metrics, log) : undefined;
  const GET: [RegExp, Route][] = [
    [
      /^\/api\/metrics$/,
      () => {
        if (!sampler) throw new ConsoleError(404, 'this broker keeps no metrics');
        return sampler.read();
      },
    ],
    [/^\/api\/nodes$/, () => nodeList(sources)],
    [/^\/api\/topics$/, () => topicList(sources)],
    [/^\/api\/topics\/([^/]+)$/, (m) => topicDetail(sources, m[1])],
    [
      /^\/api\/topics\/([^/]+)\/messages$/,
      (m, url) =>
        browse(sources, m[1], {
          partition: url.searchParams.get('partition'),
          offset: url.searchParams.get('offset'),
          timestamp: url.searchParams.get('timestamp'),
          limit: url.searchParams.get('limit'),
        }),
    ],
    [/^\/api\/groups$/, () => groupList(sources)],
    [/^\/api\/groups\/([^/]+)$/, (m) => groupDetail(sources, m[1])],
    [/^\/api\/groups\/([^/]+)\/rebalances$/, (m) => rebalanceTimeline(sources, m[1])],
  ];
  const POST: [RegExp, Route][] = [
    [/^\/api\/topics\/([^/]+)\/messages$/, async (m, url, req) => produce(sources, opts.bootstrap(), m[1], await readBody(req), url.searchParams.get('value') === 'json')],
  ];

  // Server-sent events: open pages read again when something they show changed.
  const streams = new Set<ServerResponse>();
  const notify = (what: string): void => {
    for (const s of streams) s.write(`event: change\ndata: ${JSON.stringify({ what })}\n\n`);
  };
  const onTopics = (): void => notify('topics');
  const onLeaders = (): void => notify('nodes');
  sources.cluster.on('topicCreated', onTopics);
  sources.cluster.on('topicDeleted', onTopics);
  sources.cluster.on('leaderChanged', onLeaders);
  const offRebalance = sources.groups.onRebalance(() => notify('groups'));
  const offConsumerRebalance = sources.groups.onConsumerRebalance(() => notify('groups'));
  const tick = setInterval(() => notify('tick'), opts.tickMs ?? 2000);
  tick.unref();

  async function serveStatic(path: string, res: ServerResponse): Promise<void> {
    const file = path === '/' ? '/index.html' : path;
    let body: Buffer;
    try {
      body = await readFile(join(CONSOLE_ASSETS_DIR, file));
    } catch {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The console's front-end is not built (no ${file.slice(1)} in ${CONSOLE_ASSETS_DIR}): run npm run build.\n`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'content-length': body.length });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    // Routes match the encoded path, so a group id with a "/" stays one segment.
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/' || STATIC.has(path))) return serveStatic(path, res);
    if (path === '/metrics' && prometheus) return prometheus(req, res);
    if (method === 'GET' && path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    const routes = method === 'GET' ? GET : method === 'POST' ? POST : null;
    if (routes === null) throw new ConsoleError(405, `method ${method} not allowed`);
    for (const [re, route] of routes) {
      const m = path.match(re);
      if (!m) continue;
      if (method === 'POST') {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new ConsoleError(415, 'send the record as application/json');
        const origin = req.headers.origin;
        if (origin !== undefined && originHost(origin) !== req.headers.host) throw new ConsoleError(403, 'cross-origin requests are not accepted');
      }
      const decoded = [...m].map((part) => {
        try {
          return decodeURIComponent(part);
        } catch {
          throw new ConsoleError(400, 'malformed URL');
        }
      });
      return sendJson(res, 200, await route(decoded, url, req));
    }
    const other = (method === 'GET' ? POST : GET).some(([re]) => re.test(path));
    throw new ConsoleError(other ? 405 : 404, other ? `method ${method} not allowed on ${path}` : `no such page or API: ${path}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof ConsoleError) return sendJson(res, err.status, { error: err.message });
      log.error({ err, url: req.url }, 'console request failed');
      sendJson(res, 500, { error: 'internal error (see the broker log)' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    // The flag names the option in the CLI's start-up error line (bin/startup-errors.ts).
    const fail = (err: Error): void => reject(Object.assign(err, { flag: '--console-port' }));
    server.once('error', fail);
    server.listen(opts.port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log.info({ url }, `web console on ${url}`);
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(tick);
        sources.cluster.off('topicCreated', onTopics);
        sources.cluster.off('topicDeleted', onTopics);
        sources.cluster.off('leaderChanged', onLeaders);
        offRebalance();
        offConsumerRebalance();
        for (const s of streams) s.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
