/**
 * A client of an agent's OpenClaw gateway over a WebSocket (gateway-protocol.ts), reached the way its
 * owner may reach it: through IAP to the VM's SSH port (the owner's IAP grant is for port 22 only) and
 * a forward to the gateway on the VM's loopback. Who opens that path is the caller's business
 * (connect.ts): on real GCP a `gcloud compute ssh --tunnel-through-iap -L` child (iap-port-forward.ts)
 * and then ws://127.0.0.1:<local port>; against the emulator its `/v4/connect` WebSocket, which stands
 * for that hop.
 *
 * One connection per client: wait for `connect.challenge`, answer `connect` with the shared token and
 * a device identity signing the challenge nonce (a key made for this connection only), then requests
 * by id, answered in any order. The token lives in this object only: never in an error, a log line or
 * a result.
 */
import { generateKeyPairSync, randomUUID, sign, createHash, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import {
  deviceAuthPayloadV3,
  GATEWAY_CLIENT,
  GATEWAY_PROTOCOL_VERSION,
  type GatewayErrorShape,
  type GatewayFrame,
  type RequestFrame,
} from '../domain/gateway-protocol.js';

export type GatewayTunnelErrorKind =
  /** IAP refused the caller (403) or found no credential (401). */
  | 'PERMISSION_DENIED'
  /** The tunnel opened but nothing listens on the gateway port (VM stopped, gateway down), or it went away. */
  | 'GATEWAY_UNAVAILABLE'
  /** The gateway refused the token. */
  | 'GATEWAY_AUTH'
  /** The gateway answered the method with an error. */
  | 'GATEWAY_ERROR'
  | 'TUNNEL_ERROR';

export class GatewayTunnelError extends Error {
  constructor(
    readonly kind: GatewayTunnelErrorKind,
    message: string,
    /** The gateway's error (code and message; never the token). */
    readonly gateway?: GatewayErrorShape,
  ) {
    super(message);
    this.name = 'GatewayTunnelError';
  }
}

export interface GatewayClient {
  call<T>(method: string, params: unknown): Promise<T>;
  close(): void;
}

export interface GatewayClientOptions {
  /** ws:// URL of the gateway, or of the tunnel standing for the path to it. */
  readonly url: string;
  /** Headers of the upgrade request (the emulator's tunnel takes the caller as a bearer). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly gatewayToken: string;
  /** Names the target in messages, e.g. `instance ap-x-alice1`. */
  readonly where: string;
  /** Who refuses at the upgrade with 401/403 (for the message), e.g. the caller's email. */
  readonly caller?: string;
  /** Bound on opening the socket and the handshake. */
  readonly handshakeTimeoutMs?: number;
}

const DEFAULT_HANDSHAKE_MS = 20_000;

interface Device {
  readonly id: string;
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

/** A device identity for this connection: the id is the SHA-256 of the raw Ed25519 public key (auth.md). */
function ephemeralDevice(): Device {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { id: createHash('sha256').update(raw).digest('hex'), publicKey: raw.toString('base64url'), privateKey };
}

function connectParams(token: string, nonce: string, ts: number): unknown {
  const device = ephemeralDevice();
  const signed = deviceAuthPayloadV3({
    deviceId: device.id,
    clientId: GATEWAY_CLIENT.id,
    clientMode: GATEWAY_CLIENT.mode,
    role: GATEWAY_CLIENT.role,
    scopes: GATEWAY_CLIENT.scopes,
    signedAtMs: ts,
    token,
    nonce,
    platform: process.platform,
  });
  return {
    minProtocol: GATEWAY_PROTOCOL_VERSION,
    maxProtocol: GATEWAY_PROTOCOL_VERSION,
    client: { id: GATEWAY_CLIENT.id, version: '1', platform: process.platform, mode: GATEWAY_CLIENT.mode },
    role: GATEWAY_CLIENT.role,
    scopes: GATEWAY_CLIENT.scopes,
    caps: [],
    commands: [],
    permissions: {},
    auth: { token },
    userAgent: 'agents-plane',
    device: { id: device.id, publicKey: device.publicKey, signature: sign(null, Buffer.from(signed, 'utf8'), device.privateKey).toString('base64url'), signedAt: ts, nonce },
  };
}

function parseFrame(data: WebSocket.RawData): GatewayFrame | undefined {
  try {
    const f = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8')) as GatewayFrame;
    return typeof f === 'object' && f !== null && typeof (f as { type?: unknown }).type === 'string' ? f : undefined;
  } catch {
    return undefined;
  }
}

interface Pending {
  readonly method: string;
  resolve(payload: unknown): void;
  reject(error: GatewayTunnelError): void;
}

/** Opens the connection and completes the handshake; rejects with a GatewayTunnelError. */
export function openGatewayClient(o: GatewayClientOptions): Promise<GatewayClient> {
  return new Promise((resolveOpen, rejectOpen) => {
    const ws = new WebSocket(o.url, { headers: { ...o.headers }, handshakeTimeout: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS, perMessageDeflate: false });
    const pending = new Map<string, Pending>();
    let connectId: string | undefined;
    let ready = false;
    let ended: GatewayTunnelError | undefined;
    const handshakeTimer = setTimeout(
      () => fail(new GatewayTunnelError('GATEWAY_UNAVAILABLE', `the agent's gateway on ${o.where} did not complete its handshake within ${Math.round((o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS) / 1000)}s`)),
      o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS,
    );

    /** Ends the connection: the opening (if still pending) and every call in flight fail with `error`. */
    function fail(error: GatewayTunnelError): void {
      if (ended) return;
      ended = error;
      clearTimeout(handshakeTimer);
      if (!ready) rejectOpen(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      ws.terminate();
    }

    const send = (frame: RequestFrame) => ws.send(JSON.stringify(frame));

    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 401 || status === 403) {
        fail(
          new GatewayTunnelError(
            'PERMISSION_DENIED',
            `permission denied: ${o.caller ?? 'you'} may not open an IAP tunnel to ${o.where} (only the agent's owner holds roles/iap.tunnelResourceAccessor on it)`,
          ),
        );
      } else if (status === 502) {
        fail(new GatewayTunnelError('GATEWAY_UNAVAILABLE', `the agent's gateway does not answer on ${o.where} (paused, still booting or unhealthy? see planes status)`));
      } else {
        fail(new GatewayTunnelError('TUNNEL_ERROR', `the tunnel to ${o.where} refused the WebSocket with HTTP ${status}`));
      }
    });
    ws.on('error', (error: NodeJS.ErrnoException) => {
      fail(new GatewayTunnelError('GATEWAY_UNAVAILABLE', `cannot reach the agent's gateway on ${o.where}: ${error.code ?? error.message}`));
    });
    ws.on('close', (code, reason) => {
      const why = `${code}${reason.length ? ` ${reason.toString('utf8')}` : ''}`;
      const inFlight = [...pending.values()].map((p) => p.method);
      const during = !ready ? ' before completing its handshake' : inFlight.length ? ` during ${inFlight.join(', ')}` : '';
      fail(new GatewayTunnelError('GATEWAY_UNAVAILABLE', `the agent's gateway on ${o.where} closed the connection${during} (${why}); is the agent running? see planes status`));
    });
    ws.on('message', (data) => {
      const frame = parseFrame(data);
      if (!frame) return;
      if (frame.type === 'event') {
        if (frame.event !== 'connect.challenge' || connectId) return;
        const { nonce, ts } = (frame.payload ?? {}) as { nonce?: unknown; ts?: unknown };
        if (typeof nonce !== 'string' || !nonce || typeof ts !== 'number') {
          fail(new GatewayTunnelError('GATEWAY_ERROR', `the agent's gateway on ${o.where} sent a malformed connect challenge`));
          return;
        }
        connectId = randomUUID();
        send({ type: 'req', id: connectId, method: 'connect', params: connectParams(o.gatewayToken, nonce, ts) });
        return;
      }
      if (frame.type !== 'res') return;
      if (frame.id === connectId && !ready) {
        if (!frame.ok) {
          const kind = (frame.error.details as { code?: unknown } | undefined)?.code === 'AUTH_TOKEN_MISMATCH' ? 'GATEWAY_AUTH' : 'GATEWAY_ERROR';
          fail(new GatewayTunnelError(kind, `the agent's gateway refused the connection: ${frame.error.message}`, frame.error));
          return;
        }
        ready = true;
        clearTimeout(handshakeTimer);
        resolveOpen(client);
        return;
      }
      const p = pending.get(frame.id);
      if (!p) return;
      pending.delete(frame.id);
      if (frame.ok) p.resolve(frame.payload);
      else p.reject(new GatewayTunnelError('GATEWAY_ERROR', `${p.method}: ${frame.error.message}`, frame.error));
    });

    const client: GatewayClient = {
      call<T>(method: string, params: unknown): Promise<T> {
        if (ended) return Promise.reject(ended);
        const id = randomUUID();
        return new Promise<T>((resolve, reject) => {
          pending.set(id, { method, resolve: resolve as (payload: unknown) => void, reject });
          send({ type: 'req', id, method, params });
        });
      },
      close() {
        if (ended) return;
        ended = new GatewayTunnelError('TUNNEL_ERROR', 'the gateway connection was closed');
        for (const p of pending.values()) p.reject(ended);
        pending.clear();
        ws.close(1000);
      },
    };
  });
}
