/**
 * The request pipeline every API call goes through, in GCP's order as seen from a client: route,
 * count the call, parse and validate the body, charge the project's rate quota, take the modelled
 * time, apply injected faults, then let the service module answer. Errors are rendered in the shape
 * of the API the path belongs to. Admin paths (/__emulator/...) bypass all of it.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ApiError, type Route, type RouteResult } from './contract.js';
import type { CallLog } from './call-log.js';
import { errorBody, errorStyleFor, internalError } from './error-body.js';
import type { FaultInjector } from './faults.js';
import type { LatencyModel } from './latency.js';
import { validateBody } from './proto-schema.js';
import type { RateQuotas } from './rate-quotas.js';
import type { Router } from './router.js';
import type { ScaledClock } from './clock.js';

/** GCP refuses bodies above ~10 MB; nothing the clients send comes close. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface AdminRequest {
  readonly method: string;
  /** Path below /__emulator, e.g. `/faults`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export type AdminHandler = (req: AdminRequest) => Promise<RouteResult> | RouteResult;

export interface PipelineParts {
  readonly router: Router;
  readonly calls: CallLog;
  readonly latency: LatencyModel;
  readonly clock: ScaledClock;
  readonly quotas: RateQuotas;
  readonly faults: FaultInjector;
  readonly admin: AdminHandler;
}

class BodyError extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyError('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unexpected token.', 'parseError');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** `projects/p/zones/z/instances/i` from `/compute/v1/projects/p/zones/z/instances/i/start`. */
function resourceOfPath(path: string): string {
  const start = path.indexOf('projects/');
  if (start < 0) return path;
  const resource = path.slice(start).replace(/:[A-Za-z]+$/, '');
  try {
    return decodeURIComponent(resource);
  } catch {
    return resource;
  }
}

async function answer(
  parts: PipelineParts,
  route: Route,
  params: Record<string, string>,
  query: URLSearchParams,
  rawBody: string,
  path: string,
  headers: Readonly<Record<string, string | undefined>> = {},
): Promise<RouteResult> {
  const body = parseJson(rawBody);
  if (route.bodyType) validateBody(route.bodyType, body ?? {}, route.bodyName);
  route.validate?.(body);
  // The quota is charged on arrival, as GCP's front end does: a refused call is answered at once, and
  // the modelled processing time does not shift when a call counts.
  const project = params.project;
  parts.quotas.consume(route.id, project);
  await parts.clock.sleep(parts.latency.requestMs(route.id));
  const decision = parts.faults.decide(route.id, project, {
    style: errorStyleFor(path),
    resource: resourceOfPath(path),
    operationRoute: route.operation === true,
  });
  if (decision.error) throw decision.error;
  return route.handle({
    params,
    query,
    body,
    methodId: route.id,
    headers,
    ...(decision.operationFault ? { operationFault: decision.operationFault } : {}),
  });
}

export function createPipelineServer(parts: PipelineParts): Server {
  const server = createServer((req, res) => {
    void handle(parts, req, res);
  });
  // The clients keep connections alive; a generous timeout avoids reconnect churn under load.
  server.keepAliveTimeout = 30_000;
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(parts, sockets, req, socket, head);
  });
  upgradedSockets.set(server, sockets);
  return server;
}

const upgradedSockets = new WeakMap<Server, WebSocketServer>();

/** Upgraded connections are no longer the HTTP server's: end them before closing it. */
export function terminateWebSockets(server: Server): void {
  for (const ws of upgradedSockets.get(server)?.clients ?? []) ws.terminate();
}

function refuseUpgrade(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/**
 * A WebSocket upgrade goes through the same pipeline as a call (route, count, quota, latency, faults);
 * only a route with `upgrade` takes one, and its refusal is an HTTP answer before the upgrade.
 */
async function upgrade(parts: PipelineParts, sockets: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const path = url.pathname;
  const style = errorStyleFor(path);
  socket.on('error', () => socket.destroy());
  try {
    const match = parts.router.match(req.method ?? 'GET', path);
    if (!match?.route.upgrade) throw new ApiError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`, 'notFound');
    const route = match.route;
    // A malformed handshake is refused before the route opens anything it would have to close again.
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key'] || req.headers['sec-websocket-version'] !== '13') {
      throw new ApiError(400, 'INVALID_ARGUMENT', 'expected a WebSocket upgrade (Upgrade: websocket, Sec-WebSocket-Version: 13)', 'badRequest');
    }
    parts.calls.record(route.id);
    parts.quotas.consume(route.id, match.params.project);
    await parts.clock.sleep(parts.latency.requestMs(route.id));
    const decision = parts.faults.decide(route.id, match.params.project, { style, resource: resourceOfPath(path), operationRoute: false });
    if (decision.error) throw decision.error;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const attach = await route.upgrade!({ params: match.params, query: url.searchParams, body: undefined, methodId: route.id, headers });
    sockets.handleUpgrade(req, socket, head, (ws) => attach(ws));
  } catch (error) {
    if (error instanceof ApiError) {
      refuseUpgrade(socket, error.httpStatus, errorBody(error, style));
      return;
    }
    process.stderr.write(`emulator: upgrade ${path} failed: ${(error as Error)?.stack ?? String(error)}\n`);
    refuseUpgrade(socket, 500, errorBody(internalError(), style));
  }
}

async function handle(parts: PipelineParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const path = url.pathname;
  const style = errorStyleFor(path);
  try {
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch (error) {
      if (error instanceof BodyError) throw new ApiError(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 10485760 bytes.', 'invalid');
      throw error;
    }
    if (path.startsWith('/__emulator/') || path === '/__emulator') {
      const result = await parts.admin({ method: req.method ?? 'GET', path: path.slice('/__emulator'.length) || '/', query: url.searchParams, body: parseJson(rawBody) });
      send(res, result.status ?? 200, result.body);
      return;
    }
    const match = parts.router.match(req.method ?? 'GET', path);
    if (!match) {
      throw new ApiError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`, 'notFound');
    }
    parts.calls.record(match.route.id);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const result = await answer(parts, match.route, match.params, url.searchParams, rawBody, path, headers);
    send(res, result.status ?? 200, result.body);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ApiError) {
      send(res, error.httpStatus, errorBody(error, style));
      return;
    }
    // Our own bug: say so on stderr (our messages never carry secret values), answer GCP's 500.
    process.stderr.write(`emulator: ${req.method} ${path} failed: ${(error as Error)?.stack ?? String(error)}\n`);
    send(res, 500, errorBody(internalError(), style));
  }
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
