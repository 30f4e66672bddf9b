/**
 * The part of OpenClaw's gateway protocol `planes connect` speaks, and how it reaches the gateway.
 *
 * Protocol source: the `openclaw` npm package, version 2026.9.6, docs/gateway/protocol/transport.md
 * (frames), handshake.md (`connect.challenge`, `connect`, `hello-ok`), auth.md (shared-secret token in
 * `connect.params.auth.token`), rpc-system-and-channels.md (`web.login.start` / `web.login.wait`), and
 * the result types `ChannelLoginWithQrStartResult` / `ChannelLoginWithQrWaitResult` in its dist/*.d.ts.
 * auth.md ("All connections must sign the server-provided connect.challenge nonce": a `device` identity
 * with an Ed25519 signature over deviceAuthPayloadV3). The gateway listens on loopback only
 * (openclaw-config.ts): the owner reaches it through an IAP TCP tunnel to the VM's SSH port (the only
 * port the owner's IAP grant allows) and an SSH forward to 127.0.0.1:GATEWAY_PORT inside the VM.
 */
import type { ChannelKind } from './runtime-profile.js';

/** The wire protocol version our client speaks (handshake.md: `minProtocol` / `maxProtocol`). */
export const GATEWAY_PROTOCOL_VERSION = 4;

export interface RequestFrame {
  readonly type: 'req';
  readonly id: string;
  readonly method: string;
  readonly params?: unknown;
}

export interface GatewayErrorShape {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly retryable?: boolean;
}

export type ResponseFrame =
  | { readonly type: 'res'; readonly id: string; readonly ok: true; readonly payload: unknown }
  | { readonly type: 'res'; readonly id: string; readonly ok: false; readonly error: GatewayErrorShape };

export interface EventFrame {
  readonly type: 'event';
  readonly event: string;
  readonly payload: unknown;
}

export type GatewayFrame = RequestFrame | ResponseFrame | EventFrame;

/** `web.login.start` params (the fields we send). */
export interface WebLoginStartParams {
  readonly channel: ChannelKind;
  readonly force?: boolean;
  readonly timeoutMs?: number;
}

/** ChannelLoginWithQrStartResult: `qrDataUrl` is a `data:image/png;base64,` QR image. */
export interface WebLoginStartResult {
  readonly qrDataUrl?: string;
  readonly message: string;
  readonly connected?: boolean;
  readonly sessionKey?: string;
}

export interface WebLoginWaitParams {
  readonly channel: ChannelKind;
  readonly sessionKey?: string;
  readonly timeoutMs?: number;
}

/** ChannelLoginWithQrWaitResult. */
export interface WebLoginWaitResult {
  readonly connected: boolean;
  readonly message: string;
  readonly qrDataUrl?: string;
}

/** Channels linked by scanning a QR with the phone app; Telegram needs only its bot token. */
export const QR_CHANNELS: readonly ChannelKind[] = ['whatsapp', 'signal'];

/** The emulator's stand-in for the SSH-over-IAP hop (src/emulator/README.md): a WebSocket upgrade here. */
export const TUNNEL_PATH = '/v4/connect';
export const SSH_PORT = 22;

/** The close code the gateway ends a refused handshake with (RFC 6455 §7.4.1, policy violation). */
export const GATEWAY_CLOSE = { policyViolation: 1008 } as const;

/** The operator client we present (handshake.md: `client.id` "cli", mode "cli"). */
export const GATEWAY_CLIENT = { id: 'cli', mode: 'cli', role: 'operator', scopes: ['operator.admin'] } as const;

/**
 * The string a device signs in `connect.params.device.signature` (Ed25519, base64url), the v3 payload of
 * the openclaw package's packages/gateway-client/src/device-auth.ts: it binds the server's challenge
 * nonce, so a signature cannot be replayed on another connection.
 */
export function deviceAuthPayloadV3(p: {
  readonly deviceId: string;
  readonly clientId: string;
  readonly clientMode: string;
  readonly role: string;
  readonly scopes: readonly string[];
  readonly signedAtMs: number;
  readonly token: string;
  readonly nonce: string;
  readonly platform: string;
  readonly deviceFamily?: string;
}): string {
  const lower = (v: string | undefined) => (v ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  return ['v3', p.deviceId, p.clientId, p.clientMode, p.role, p.scopes.join(','), String(p.signedAtMs), p.token, p.nonce, lower(p.platform), lower(p.deviceFamily)].join('|');
}
