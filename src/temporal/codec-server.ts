/**
 * The remote codec endpoint of Temporal's Web UI and CLI: POST /decode and /encode with
 * `{ payloads: [{ metadata: {name: base64}, data: base64 }] }`. It holds the keys, so it runs where the
 * key holder is (the embedded stack starts one on 127.0.0.1; an operator runs `agents-plane codec-server`
 * on their own machine and points the Web UI at it). Browsers may call it only from the allowed Web UI
 * origins, so another page open in the same browser cannot use it to decrypt.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from './codec.js';
import type { CodecKeySet } from './codec-keys.js';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export interface CodecServerOptions {
  readonly keys: CodecKeySet;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Web UI origins allowed to call from a browser, e.g. http://127.0.0.1:8233. */
  readonly allowedOrigins: readonly string[];
}

export interface RunningCodecServer {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const codec = new EncryptionCodec(options.keys);
  const allowed = new Set(options.allowedOrigins.map((origin) => origin.replace(/\/+$/, '')));
  const server = createServer((req, res) => {
    handle(req, res, codec, allowed).catch((error: unknown) => {
      send(res, 500, { message: error instanceof Error ? error.message : String(error) });
    });
  });
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A browser keeps its connection open; it must not hold the shutdown.
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, codec: EncryptionCodec, allowed: Set<string>): Promise<void> {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!allowed.has(origin)) {
      send(res, 403, { message: `origin ${origin} is not allowed to use this codec endpoint` });
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Vary', 'Origin');
  }
  const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && path === '/healthz') {
    send(res, 200, { ok: true });
    return;
  }
  // The UI may prefix the path with the namespace; only the last segment selects the operation.
  const operation = path.split('/').pop();
  if (req.method !== 'POST' || (operation !== 'decode' && operation !== 'encode')) {
    send(res, 404, { message: 'use POST /decode or POST /encode' });
    return;
  }
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (error) {
    send(res, 400, { message: error instanceof Error ? error.message : 'unreadable body' });
    return;
  }
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) {
    send(res, 400, { message: 'body must be { "payloads": [...] }' });
    return;
  }
  const decoded = payloads.map((p) => fromJson(p as JsonPayload));
  const result = operation === 'decode' ? await codec.decode(decoded) : await codec.encode(decoded);
  send(res, 200, { payloads: result.map(toJson) });
}

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new Error('body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
