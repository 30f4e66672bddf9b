/**
 * `planes connect --plane --agent --channel whatsapp|signal|telegram [--png FILE] [--timeout] [--json]`:
 * the owner links a messaging channel to their own agent. It runs with the caller's own credentials:
 * reads the agent's gateway token from Secret Manager, opens an IAP tunnel to the agent (IAP admits the
 * owner only) — on real GCP an SSH port forward through IAP run by gcloud (iap-port-forward.ts), against
 * the emulator its tunnel WebSocket — and talks to the OpenClaw gateway on the VM over a WebSocket
 * (gateway-tunnel.ts):
 * - WhatsApp, Signal: `web.login.start` → the pairing QR, shown in the terminal (and written as PNG with
 *   --png), then `web.login.wait` until the phone has scanned it, with progress; reports connected.
 * - Telegram needs no pairing: it reports what the gateway says (connected once a TELEGRAM_BOT_TOKEN was
 *   set and the agent restarted).
 * The token is never printed. Against the emulator the caller is AGENTS_PLANE_EMULATOR_CALLER (an
 * email standing for the caller's Google credentials).
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { QR_CHANNELS, SSH_PORT, TUNNEL_PATH, type WebLoginStartResult, type WebLoginWaitResult } from '../../domain/gateway-protocol.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parseAgentName, parsePlaneName, type SecretKey } from '../../domain/names.js';
import { GATEWAY_PORT, GATEWAY_TOKEN_ENV_VAR } from '../../domain/openclaw-config.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import { CHANNEL_KINDS, type ChannelKind, type ChannelState } from '../../domain/runtime-profile.js';
import type { GcpClients } from '../../gcp/clients.js';
import { gcpCall } from '../../gcp/errors.js';
import { GatewayTunnelError, openGatewayClient, type GatewayClient } from '../../gcp/gateway-tunnel.js';
import { openIapPortForward, PortForwardError, type PortForward } from '../../gcp/iap-port-forward.js';
import type { InstanceRef } from '../../gcp/guest-health.js';
import { OperationFailedError, runCommand, type Output } from '../command.js';
import { pngFromDataUrl, qrModules, renderQr } from '../qr-terminal.js';
import { parseDuration } from './duration.js';
import { runningPlane } from './plane-handle.js';
import { withSession } from './session.js';

export const EMULATOR_CALLER_ENV = 'AGENTS_PLANE_EMULATOR_CALLER';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** One `web.login.wait` at a time, so progress shows between them. */
const WAIT_SLICE_MS = 5_000;

interface ConnectOptions {
  plane?: string;
  agent?: string;
  channel?: string;
  png?: string;
  timeout?: string;
}

export interface ConnectView {
  readonly plane: string;
  readonly agent: string;
  readonly channel: ChannelKind;
  readonly state: ChannelState;
  /** The PNG written with --png. */
  readonly png: string | null;
}

interface ChannelsStatus {
  readonly channels?: Partial<Record<ChannelKind, { readonly configured?: boolean; readonly connected?: boolean }>>;
}

function parseChannel(value: unknown): ChannelKind {
  if (typeof value !== 'string' || !(CHANNEL_KINDS as readonly string[]).includes(value)) {
    throw new InvalidInputError('--channel', `must be one of ${CHANNEL_KINDS.join(', ')}`);
  }
  return value as ChannelKind;
}

/** The email the emulator's IAP tunnel sees as the caller. */
function emulatorCaller(): string {
  const caller = process.env[EMULATOR_CALLER_ENV]?.trim();
  if (!caller || !/^[^@\s]+@[^@\s]+$/.test(caller)) {
    throw new InvalidInputError(EMULATOR_CALLER_ENV, 'must be your email when the plane runs on the emulator (it stands for your Google credentials)');
  }
  return caller;
}

/** The gateway token the owner is entitled to; held only in memory for the tunnel's handshake. */
async function readGatewayToken(gcp: GcpClients, secretName: string): Promise<string> {
  const [version] = await gcpCall('read the gateway token', () => gcp.secrets.accessSecretVersion({ name: `${secretName}/versions/latest` }));
  const data = version.payload?.data;
  if (!data) throw new OperationFailedError('the agent has no gateway token yet (is it still provisioning?)', 'NO_GATEWAY_TOKEN');
  const buffer = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const token = buffer.toString('utf8');
  buffer.fill(0);
  return token;
}

function failure(error: unknown): unknown {
  if (error instanceof GatewayTunnelError) return new OperationFailedError(error.message, error.kind);
  if (error instanceof PortForwardError) return new OperationFailedError(error.message, 'TUNNEL_ERROR');
  return error;
}

/** The emulator's tunnel endpoint (a WebSocket standing for the SSH-over-IAP hop), the caller as bearer. */
function emulatorTunnel(emulatorUrl: string, caller: string, target: InstanceRef): { url: string; headers: Record<string, string> } {
  const query = new URLSearchParams({ project: target.project, zone: target.zone, instance: target.instance, interface: 'nic0', port: String(SSH_PORT) });
  return { url: `${emulatorUrl.replace(/^http/, 'ws')}${TUNNEL_PATH}?${query.toString()}`, headers: { authorization: `Bearer ${caller}` } };
}

async function showQr(result: WebLoginStartResult, png: string | undefined, out: Output): Promise<void> {
  const image = result.qrDataUrl ? pngFromDataUrl(result.qrDataUrl) : undefined;
  if (!image) throw new OperationFailedError('the gateway returned no pairing QR', 'NO_QR');
  if (png !== undefined) await writeFile(png, image);
  out.info(renderQr(qrModules(image)));
  out.info(result.message);
  if (png !== undefined) out.info(`QR written to ${png}`);
}

async function pair(gateway: GatewayClient, channel: ChannelKind, png: string | undefined, timeoutMs: number, out: Output): Promise<ChannelState> {
  const started = await gateway.call<WebLoginStartResult>('web.login.start', { channel, timeoutMs });
  if (started.connected) {
    out.info(started.message);
    return 'connected';
  }
  await showQr(started, png, out);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const waited = await gateway.call<WebLoginWaitResult>('web.login.wait', {
      channel,
      ...(started.sessionKey ? { sessionKey: started.sessionKey } : {}),
      timeoutMs: Math.min(WAIT_SLICE_MS, left),
    });
    if (waited.connected) return 'connected';
    out.progress(`waiting for the phone to scan the ${channel} QR (${Math.ceil((deadline - Date.now()) / 1000)}s left)`);
  }
  throw new OperationFailedError(`${channel} was not linked within ${Math.round(timeoutMs / 1000)}s; run planes connect again for a new QR`, 'PAIRING_TIMEOUT');
}

async function telegramState(gateway: GatewayClient, plane: string, agent: string): Promise<ChannelState> {
  const status = await gateway.call<ChannelsStatus>('channels.status', {});
  const telegram = status.channels?.telegram;
  if (!telegram) throw new OperationFailedError(`telegram is not in agent ${agent}'s runtime profile (an admin adds it to the agent's channels)`, 'CHANNEL_NOT_CONFIGURED');
  if (telegram.connected) return 'connected';
  throw new OperationFailedError(
    `telegram is not connected: set TELEGRAM_BOT_TOKEN with \`planes secrets set --plane ${plane} --agent ${agent} --key TELEGRAM_BOT_TOKEN\`, then \`planes restart-agent --plane ${plane} --name ${agent}\``,
    'CHANNEL_UNCONFIGURED',
  );
}

export function registerConnect(planes: Command): void {
  planes
    .command('connect')
    .description("link a messaging channel to your own agent (WhatsApp/Signal: scan a QR; Telegram: its bot token)")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--agent <agent>', 'your agent')
    .requiredOption('--channel <channel>', `one of ${CHANNEL_KINDS.join(', ')}`)
    .option('--png <file>', 'also write the pairing QR to this PNG file')
    .option('--timeout <duration>', 'how long to wait for the phone to scan the QR (default 5m)')
    .action(
      runCommand<ConnectOptions, ConnectView>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const agent = parseAgentName(o.agent, '--agent');
        const channel = parseChannel(o.channel);
        const timeoutMs = o.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(o.timeout, '--timeout');
        if (o.png !== undefined && !QR_CHANNELS.includes(channel)) throw new InvalidInputError('--png', `only for ${QR_CHANNELS.join(' and ')} (telegram has no QR)`);
        if (o.png !== undefined && !o.png.toLowerCase().endsWith('.png')) throw new InvalidInputError('--png', 'must be a file name ending in .png');
        return withSession(async (session) => {
          const client = await session.temporal();
          const { status } = await runningPlane(client, plane);
          if (!status.agents.some((a) => a.spec.name === agent)) throw new InvalidInputError('--agent', `no agent named ${agent} in plane ${plane}`);
          const gcp = await session.google();
          const emulatorUrl = gcp.endpoint.emulatorUrl;
          const caller = emulatorUrl ? emulatorCaller() : undefined;
          const names = agentResourceNames(status.spec.project, plane, agent);
          const target: InstanceRef = { project: status.spec.project, zone: status.spec.zone, instance: names.instance };
          const gatewayToken = await readGatewayToken(gcp, names.secretName(GATEWAY_TOKEN_ENV_VAR as SecretKey));
          let forward: PortForward | undefined;
          let gateway: GatewayClient | undefined;
          try {
            if (emulatorUrl && caller) {
              gateway = await openGatewayClient({ ...emulatorTunnel(emulatorUrl, caller, target), gatewayToken, where: `instance ${target.instance}`, caller });
            } else {
              out.progress(`opening an IAP tunnel to ${target.instance} (gcloud compute ssh --tunnel-through-iap)`);
              forward = await openIapPortForward({ ...target, remotePort: GATEWAY_PORT });
              gateway = await openGatewayClient({ url: `ws://127.0.0.1:${forward.localPort}`, gatewayToken, where: `instance ${target.instance}` });
            }
            const state = channel === 'telegram' ? await telegramState(gateway, plane, agent) : await pair(gateway, channel, o.png, timeoutMs, out);
            return {
              data: { plane, agent, channel, state, png: o.png ?? null },
              human: (v) => `${v.channel} connected to agent ${v.agent}`,
            };
          } catch (error) {
            throw failure(error);
          } finally {
            gateway?.close();
            forward?.close();
          }
        });
      }),
    );
}
