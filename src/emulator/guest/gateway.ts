/**
 * The guest's OpenClaw gateway as a client on the VM's loopback sees it (gateway-protocol.ts): a live
 * session per connection sends the `connect.challenge` event, checks the `connect` request's protocol
 * range, shared-secret token (`auth.token`, token mode, openclaw-config.ts) and device signature over
 * the challenge nonce, then serves, each request answered when it completes:
 * - `web.login.start { channel, force? }` → ChannelLoginWithQrStartResult: a QR (PNG data URL) and a
 *   `sessionKey`, or `connected: true` when the channel is already linked and `force` is not set;
 * - `web.login.wait { channel, sessionKey?, timeoutMs? }` → ChannelLoginWithQrWaitResult;
 * - `channels.status` → `{ channels: { <kind>: { accountId, configured, linked?, running, connected } } }`,
 *   the profile's channels only (ChannelAccountSnapshot's fields).
 * Anything else answers the gateway's `INVALID_REQUEST` "unknown method". Scopes and device pairing
 * records are not modelled (a loopback device is auto-approved, as OpenClaw does for direct loopback).
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import QRCode from 'qrcode';
import {
  deviceAuthPayloadV3,
  GATEWAY_CLOSE,
  GATEWAY_PROTOCOL_VERSION,
  QR_CHANNELS,
  type GatewayErrorShape,
  type GatewayFrame,
  type RequestFrame,
  type WebLoginStartResult,
  type WebLoginWaitResult,
} from '../../domain/gateway-protocol.js';
import type { ChannelKind } from '../../domain/runtime-profile.js';
import type { InstanceRecord } from '../services/compute/state.js';
import { isChannelKind, type ChannelModel } from './channels.js';

/** OpenClaw's default for `web.login.wait` when the client gives none. */
const DEFAULT_WAIT_MS = 120_000;

export interface GatewayHost {
  readonly channels: ChannelModel;
  /** The instance while its gateway is up (running, not hung), else undefined. */
  live(): InstanceRecord | undefined;
}

class RequestError extends Error {
  constructor(readonly shape: GatewayErrorShape) {
    super(shape.message);
  }
}

const invalid = (message: string, details?: unknown) => new RequestError({ code: 'INVALID_REQUEST', message, ...(details ? { details } : {}) });

function channelParam(i: InstanceRecord, host: GatewayHost, params: unknown): ChannelKind {
  const channel = (params as { channel?: unknown } | undefined)?.channel;
  if (!isChannelKind(channel)) throw invalid('web login: params.channel must name an installed channel');
  if (!host.channels.configured(i).includes(channel)) throw invalid(`channel ${channel} is not configured`);
  if (!QR_CHANNELS.includes(channel)) throw invalid(`channel ${channel} does not support QR login`);
  return channel;
}

async function loginStart(host: GatewayHost, i: InstanceRecord, params: unknown): Promise<WebLoginStartResult> {
  const channel = channelParam(i, host, params);
  if (host.channels.isLinked(i, channel) && (params as { force?: unknown }).force !== true) {
    return { connected: true, message: `${channel} is already linked.` };
  }
  const pairing = host.channels.startPairing(i, channel);
  const qrDataUrl = await QRCode.toDataURL(pairing.payload, { errorCorrectionLevel: 'L', margin: 4, scale: 4 });
  const app = channel === 'whatsapp' ? 'WhatsApp → Settings → Linked Devices → Link a device' : 'Signal → Settings → Linked devices → Link new device';
  return { qrDataUrl, message: `Scan this QR in ${app}.`, sessionKey: pairing.sessionKey };
}

async function loginWait(host: GatewayHost, i: InstanceRecord, params: unknown): Promise<WebLoginWaitResult> {
  const channel = channelParam(i, host, params);
  const p = params as { sessionKey?: unknown; timeoutMs?: unknown };
  if (!host.channels.isLinked(i, channel)) {
    const pairing = host.channels.pairingOf(i, channel);
    if (!pairing || (p.sessionKey !== undefined && p.sessionKey !== pairing.sessionKey)) {
      return { connected: false, message: `No active ${channel} login; start one with web.login.start.` };
    }
  }
  const timeoutMs = typeof p.timeoutMs === 'number' && p.timeoutMs > 0 ? p.timeoutMs : DEFAULT_WAIT_MS;
  const linked = await host.channels.waitLinked(i, channel, timeoutMs);
  return linked ? { connected: true, message: `Linked! ${channel} is ready.` } : { connected: false, message: 'Still waiting for the QR scan.' };
}

function channelsStatus(host: GatewayHost, i: InstanceRecord): unknown {
  const states = host.channels.states(i);
  const channels = Object.fromEntries(
    Object.entries(states).map(([kind, state]) => [
      kind,
      {
        accountId: 'default',
        configured: state !== 'unconfigured' || QR_CHANNELS.includes(kind as ChannelKind),
        ...(QR_CHANNELS.includes(kind as ChannelKind) ? { linked: state === 'connected' } : {}),
        running: state === 'connected',
        connected: state === 'connected',
      },
    ]),
  );
  return { channels };
}

async function dispatch(host: GatewayHost, i: InstanceRecord, frame: RequestFrame): Promise<unknown> {
  switch (frame.method) {
    case 'web.login.start':
      return loginStart(host, i, frame.params);
    case 'web.login.wait':
      return loginWait(host, i, frame.params);
    case 'channels.status':
      return channelsStatus(host, i);
    default:
      throw invalid(`unknown method: ${frame.method}`);
  }
}

function isRequest(frame: unknown): frame is RequestFrame {
  const f = frame as Partial<RequestFrame> | undefined;
  return f?.type === 'req' && typeof f.id === 'string' && typeof f.method === 'string';
}

/** The client's end of a connection, as the gateway sees it (a WebSocket in the emulator's tunnel). */
export interface GatewayPeer {
  send(frame: GatewayFrame): void;
  /** A close frame with `code` (the gateway refused or is going away). */
  close(code: number, reason: string): void;
  /** The connection drops without a close frame (the gateway process is gone). */
  drop(): void;
}

/** The gateway's end: frames from the client, and the client going away. */
export interface GatewaySession {
  receive(frame: unknown): void;
  closed(): void;
}

/** How often a session checks that its gateway is still up (real time). */
const LIVENESS_EVERY_MS = 25;

/** The device identity check of `connect` (auth.md): the id is the key's fingerprint, the signature covers our nonce. */
function deviceRefusal(params: ConnectParams, nonce: string, token: string): GatewayErrorShape | undefined {
  const d = params.device;
  const refuse = (message: string, code: string) => ({ code: 'INVALID_REQUEST', message, details: { code } });
  if (!d || typeof d.id !== 'string' || typeof d.publicKey !== 'string' || typeof d.signature !== 'string' || typeof d.signedAt !== 'number') {
    return refuse('device identity required', 'DEVICE_AUTH_REQUIRED');
  }
  if (d.nonce !== nonce) return refuse(typeof d.nonce === 'string' && d.nonce ? 'device nonce mismatch' : 'device nonce required', typeof d.nonce === 'string' && d.nonce ? 'DEVICE_AUTH_NONCE_MISMATCH' : 'DEVICE_AUTH_NONCE_REQUIRED');
  const raw = Buffer.from(d.publicKey, 'base64url');
  if (raw.length !== 32) return refuse('device public key invalid', 'DEVICE_AUTH_PUBLIC_KEY_INVALID');
  if (createHash('sha256').update(raw).digest('hex') !== d.id) return refuse('device identity mismatch', 'DEVICE_AUTH_DEVICE_ID_MISMATCH');
  const client = params.client ?? {};
  const payload = deviceAuthPayloadV3({
    deviceId: d.id,
    clientId: String(client.id ?? ''),
    clientMode: String(client.mode ?? ''),
    role: String(params.role ?? 'operator'),
    scopes: Array.isArray(params.scopes) ? params.scopes.map(String) : [],
    signedAtMs: d.signedAt,
    token,
    nonce,
    platform: String(client.platform ?? ''),
    ...(typeof client.deviceFamily === 'string' ? { deviceFamily: client.deviceFamily } : {}),
  });
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  if (!verify(null, Buffer.from(payload, 'utf8'), key, Buffer.from(d.signature, 'base64url'))) return refuse('device signature invalid', 'DEVICE_AUTH_SIGNATURE_INVALID');
  return undefined;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

interface ConnectParams {
  minProtocol?: unknown;
  maxProtocol?: unknown;
  role?: unknown;
  scopes?: unknown[];
  auth?: { token?: unknown };
  client?: { id?: unknown; mode?: unknown; platform?: unknown; deviceFamily?: unknown };
  device?: { id?: unknown; publicKey?: unknown; signature?: unknown; signedAt?: unknown; nonce?: unknown };
}

/**
 * One client connection, live: the challenge goes out at once; the first frame must be `connect`
 * (refused: an error response, then close 1008); after `hello-ok` requests are served concurrently and
 * answered as each completes (a `web.login.wait` when the phone scans, or at its timeout). When the
 * gateway stops running (the VM stops, or the guest hangs) the connection drops.
 */
export function openGatewaySession(host: GatewayHost, peer: GatewayPeer): GatewaySession {
  const nonce = randomBytes(16).toString('hex');
  let state: 'challenged' | 'ready' | 'closed' = 'challenged';
  const end = (how: () => void) => {
    if (state === 'closed') return;
    state = 'closed';
    clearInterval(watch);
    how();
  };
  const watch = setInterval(() => {
    if (!host.live()) end(() => peer.drop());
  }, LIVENESS_EVERY_MS);
  watch.unref();
  const refuse = (id: string, error: GatewayErrorShape) => {
    peer.send({ type: 'res', id, ok: false, error });
    end(() => peer.close(GATEWAY_CLOSE.policyViolation, error.message.slice(0, 120)));
  };

  function hello(first: RequestFrame): void {
    const params = (first.params ?? {}) as ConnectParams;
    const live = host.live();
    if (!live) return end(() => peer.drop());
    if (typeof params.minProtocol !== 'number' || typeof params.maxProtocol !== 'number' || params.minProtocol > GATEWAY_PROTOCOL_VERSION || params.maxProtocol < GATEWAY_PROTOCOL_VERSION) {
      return refuse(first.id, { code: 'INVALID_REQUEST', message: `protocol mismatch: the gateway speaks ${GATEWAY_PROTOCOL_VERSION}` });
    }
    const token = params.auth?.token;
    if (typeof token !== 'string' || !host.channels.gatewayTokenMatches(live, token)) {
      const details = { code: 'AUTH_TOKEN_MISMATCH', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' };
      return refuse(first.id, { code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch', details });
    }
    const device = deviceRefusal(params, nonce, token);
    if (device) return refuse(first.id, device);
    state = 'ready';
    peer.send({
      type: 'res',
      id: first.id,
      ok: true,
      payload: {
        type: 'hello-ok',
        protocol: GATEWAY_PROTOCOL_VERSION,
        server: { version: live.guest.version ?? 'unknown', connId: randomBytes(8).toString('hex') },
        features: { methods: ['web.login.start', 'web.login.wait', 'channels.status'], events: [] },
        snapshot: {},
        auth: { role: 'operator', scopes: ['operator.admin'] },
        policy: { maxPayload: 26_214_400, maxBufferedBytes: 52_428_800, tickIntervalMs: 15_000 },
      },
    });
  }

  async function serve(frame: RequestFrame): Promise<void> {
    const i = host.live();
    if (!i) return end(() => peer.drop());
    let answer: GatewayFrame;
    try {
      answer = { type: 'res', id: frame.id, ok: true, payload: await dispatch(host, i, frame) };
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      answer = { type: 'res', id: frame.id, ok: false, error: error.shape };
    }
    if (state === 'ready') peer.send(answer);
  }

  peer.send({ type: 'event', event: 'connect.challenge', payload: { nonce, ts: Date.now() } });
  return {
    receive(frame) {
      if (state === 'closed') return;
      if (state === 'challenged') {
        if (!isRequest(frame) || frame.method !== 'connect') {
          return refuse(isRequest(frame) ? frame.id : '', { code: 'INVALID_REQUEST', message: 'first frame must be a connect request' });
        }
        return hello(frame);
      }
      if (!isRequest(frame)) {
        peer.send({ type: 'res', id: '', ok: false, error: { code: 'INVALID_REQUEST', message: 'invalid request frame' } });
        return;
      }
      void serve(frame);
    },
    closed() {
      end(() => undefined);
    },
  };
}
