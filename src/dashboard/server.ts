/**
 * The dashboard's HTTP server (node:http, nothing else): the page, its static files, and a read-only JSON
 * API fed by the shared snapshot poller.
 *
 *   GET /, /planes/<plane>     the page (the components pick the view from the path)
 *   GET /api/fleet             the latest FleetSnapshot (fleet-snapshot.ts)
 *   GET /api/planes/<plane>    one plane of it (404 when there is no such plane)
 *   GET /api/events            server-sent events: a `snapshot` event with every refresh
 *   GET /healthz               {"ok":true}, for readiness checks
 *
 * Only GET and HEAD exist; every response carries the security headers of page.ts; access.ts decides
 * who may ask.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestGate } from './access.js';
import type { FleetSnapshot } from './fleet-snapshot.js';
import { PAGE_HTML, SECURITY_HEADERS } from './page.js';
import type { SnapshotPoller } from './snapshot-poller.js';
import type { StaticFiles } from './static-files.js';

/** A comment line on idle event streams, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;
/** A browser that loses the stream retries after this long. */
const RETRY_MS = 2_000;

export interface DashboardServerOptions {
  readonly host: string;
  readonly port: number;
  readonly poller: SnapshotPoller;
  readonly files: StaticFiles;
  readonly gate: (port: () => number) => RequestGate;
}

export interface RunningDashboard {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<RunningDashboard> {
  let port = options.port;
  const gate = options.gate(() => port);
  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, 'application/json; charset=utf-8', JSON.stringify({ error: 'internal error' }));
      else response.destroy();
      process.stderr.write(`dashboard: ${request.method ?? ''} ${request.url ?? ''} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return sendJson(response, 405, { error: 'read-only: only GET and HEAD' });
    }
    const decision = gate.decide(request, url);
    if (decision.kind === 'deny') return sendJson(response, decision.status, { error: decision.message });
    if (decision.kind === 'redirect') {
      response.setHeader('set-cookie', decision.setCookie);
      response.setHeader('location', decision.location);
      return send(response, 303, 'text/plain; charset=utf-8', 'see the page without the token in its address\n');
    }

    const path = url.pathname;
    if (path === '/healthz') return sendJson(response, 200, { ok: true });
    if (path === '/' || /^\/planes\/[a-z][a-z0-9-]{0,19}\/?$/.test(path)) {
      response.setHeader('cache-control', 'no-store');
      return send(response, 200, 'text/html; charset=utf-8', PAGE_HTML);
    }
    if (path === '/api/fleet') return sendJson(response, 200, await options.poller.snapshot());
    const planeApi = /^\/api\/planes\/([^/]+)$/.exec(path);
    if (planeApi) {
      const snapshot = await options.poller.snapshot();
      const plane = snapshot.planes.find((p) => p.name === planeApi[1]);
      return plane ? sendJson(response, 200, plane) : sendJson(response, 404, { error: `no plane named ${planeApi[1] ?? ''}` });
    }
    if (path === '/api/events') return openStream(request, response);
    const file = await options.files.get(path);
    if (file) {
      response.setHeader('cache-control', file.cacheControl);
      return send(response, 200, file.contentType, file.body);
    }
    return sendJson(response, 404, { error: 'not found' });
  }

  function openStream(request: IncomingMessage, response: ServerResponse): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    response.write(`retry: ${RETRY_MS}\n\n`);
    streams.add(response);
    const push = (snapshot: FleetSnapshot) => response.write(`event: snapshot\nid: ${snapshot.sequence}\ndata: ${JSON.stringify(snapshot)}\n\n`);
    const latest = options.poller.latest();
    if (latest) push(latest);
    const unsubscribe = options.poller.subscribe(push);
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
    const close = () => {
      clearInterval(keepalive);
      unsubscribe();
      streams.delete(response);
    };
    request.on('close', close);
    response.on('error', close);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostInUrl}:${port}/`,
    port,
    host: options.host,
    async close() {
      for (const stream of streams) stream.end();
      await options.poller.stop();
      await closeServer(server);
    },
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  response.setHeader('content-type', contentType);
  response.setHeader('content-length', Buffer.byteLength(body));
  response.statusCode = status;
  // HEAD: the same headers, no body.
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.setHeader('cache-control', 'no-store');
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
