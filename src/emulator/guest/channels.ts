/**
 * The guest's messaging channels: which ones the agent's runtime profile asks for (metadata
 * METADATA.runtimeProfile, JSON, field `channels`), how each stands, and the QR pairing of WhatsApp and
 * Signal. What the guest publishes as GUEST_ATTRIBUTES.channels comes from here.
 *
 * - Telegram is `connected` when the agent loaded a TELEGRAM_BOT_TOKEN version at its last boot (the
 *   simulator's secret fetch tells us; the value is never kept), else `unconfigured`.
 * - WhatsApp and Signal are `unconfigured` until paired, `pairing` while a QR from `web.login.start` is
 *   showing, `connected` once the phone scanned it (simulated: POST /__emulator/guest
 *   `{ instance, link: "whatsapp" }`). The link is kept on the instance record, as OpenClaw keeps the
 *   linked device's credentials on the boot disk, so it survives a reboot.
 * - QR payloads have the real formats: WhatsApp Web's `ref,noiseKey,identityKey,advSecret` (Baileys'
 *   QR string) and Signal's `sgnl://linkdevice?uuid=...&pub_key=...` (signal-cli link). They are random
 *   and mean nothing outside the emulator.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GATEWAY_TOKEN_ENV_VAR } from '../../domain/openclaw-config.js';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from '../../domain/guest-contract.js';
import type { AgentName, PlaneName, ProjectId, SecretKey } from '../../domain/names.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import { CHANNEL_KINDS, type ChannelKind, type ChannelState } from '../../domain/runtime-profile.js';
import { ApiError, type ServiceContext } from '../core/contract.js';
import { metadataFlag, metadataValue } from '../services/compute/instance-metadata.js';
import type { InstanceRecord } from '../services/compute/state.js';
import { writeLine } from './serial-console.js';

const TELEGRAM_TOKEN_KEY = 'TELEGRAM_BOT_TOKEN' as SecretKey;
const GATEWAY_LOG = 'openclaw-gateway[1207]';

interface Pairing {
  readonly sessionKey: string;
  readonly payload: string;
}

export interface ChannelModel {
  /** The channels the runtime profile in metadata asks for (none when there is no profile). */
  configured(i: InstanceRecord): ChannelKind[];
  states(i: InstanceRecord): Partial<Record<ChannelKind, ChannelState>>;
  /** Writes GUEST_ATTRIBUTES.channels (when guest attributes are enabled and there are channels). */
  publish(i: InstanceRecord): void;
  /** A secret read at boot: the gateway token's digest is kept (in memory) to check clients against. */
  secretLoaded(i: InstanceRecord, secretName: string, payload: Buffer): void;
  gatewayTokenMatches(i: InstanceRecord, token: string): boolean;
  /** `web.login.start`: a fresh QR session (replacing any earlier one of that channel). */
  startPairing(i: InstanceRecord, channel: ChannelKind): Pairing;
  pairingOf(i: InstanceRecord, channel: ChannelKind): Pairing | undefined;
  /** Resolves true once linked, false after `timeoutMs` of real time (or when the guest stops). */
  waitLinked(i: InstanceRecord, channel: ChannelKind, timeoutMs: number): Promise<boolean>;
  isLinked(i: InstanceRecord, channel: ChannelKind): boolean;
  /** The phone scanned the QR that is showing. */
  link(i: InstanceRecord, channel: ChannelKind): void;
  /** The gateway process is gone: pairing sessions and the token it held in memory go with it. */
  stopped(i: InstanceRecord): void;
  clear(): void;
}

const keyOf = (i: InstanceRecord) => `projects/${i.project}/zones/${i.zone}/instances/${i.name}`;
const digest = (value: Buffer) => createHash('sha256').update(value).digest();

export function isChannelKind(value: unknown): value is ChannelKind {
  return typeof value === 'string' && (CHANNEL_KINDS as readonly string[]).includes(value);
}

function agentSecretName(i: InstanceRecord, key: SecretKey): string | undefined {
  const plane = metadataValue(i, METADATA.plane);
  const agent = metadataValue(i, METADATA.agent);
  if (!plane || !agent) return undefined;
  return agentResourceNames(i.project as ProjectId, plane as PlaneName, agent as AgentName).secretName(key);
}

function whatsappPayload(): string {
  // Baileys: `${ref},${noiseKey.public},${signedIdentityKey.public},${advSecretKey}`, keys base64.
  const ref = `2@${randomBytes(48).toString('base64')}`;
  return [ref, randomBytes(32).toString('base64'), randomBytes(32).toString('base64'), randomBytes(32).toString('base64')].join(',');
}

function signalPayload(): string {
  // signal-cli link: provisioning uuid and the new device's public key (a 0x05-prefixed Curve25519 key).
  const uuid = randomBytes(16).toString('base64url');
  const pubKey = Buffer.concat([Buffer.from([5]), randomBytes(32)]).toString('base64');
  return `sgnl://linkdevice?uuid=${uuid}&pub_key=${encodeURIComponent(pubKey)}`;
}

export function createChannelModel(ctx: ServiceContext): ChannelModel {
  const tokens = new Map<string, Buffer>();
  const pairings = new Map<string, Map<ChannelKind, Pairing>>();
  const waiters = new Map<string, Set<() => void>>();

  const wake = (i: InstanceRecord) => {
    for (const w of waiters.get(keyOf(i)) ?? []) w();
  };

  const model: ChannelModel = {
    configured(i) {
      const raw = metadataValue(i, METADATA.runtimeProfile);
      if (!raw) return [];
      try {
        const channels = (JSON.parse(raw) as { channels?: unknown }).channels;
        return Array.isArray(channels) ? CHANNEL_KINDS.filter((c) => channels.includes(c)) : [];
      } catch {
        return [];
      }
    },

    isLinked: (i, channel) => (i.guest.linkedChannels ?? []).includes(channel),

    states(i) {
      const out: Partial<Record<ChannelKind, ChannelState>> = {};
      for (const channel of model.configured(i)) {
        if (channel === 'telegram') {
          const secret = agentSecretName(i, TELEGRAM_TOKEN_KEY);
          out.telegram = secret !== undefined && i.guest.secretVersions?.[secret] !== undefined ? 'connected' : 'unconfigured';
        } else if (model.isLinked(i, channel)) out[channel] = 'connected';
        else out[channel] = model.pairingOf(i, channel) ? 'pairing' : 'unconfigured';
      }
      return out;
    },

    publish(i) {
      if (!metadataFlag(i, METADATA.enableGuestAttributes) || i.guest.phase !== 'running') return;
      const key = `${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.channels}`;
      const states = model.states(i);
      if (Object.keys(states).length === 0) delete i.guestAttributes[key];
      else i.guestAttributes[key] = JSON.stringify(states);
      ctx.markDirty();
    },

    secretLoaded(i, secretName, payload) {
      if (secretName === agentSecretName(i, GATEWAY_TOKEN_ENV_VAR as SecretKey)) tokens.set(keyOf(i), digest(payload));
    },

    gatewayTokenMatches(i, token) {
      let held = tokens.get(keyOf(i));
      if (!held) {
        // After an emulator restart the gateway process "kept running": read what it would hold.
        const secret = agentSecretName(i, GATEWAY_TOKEN_ENV_VAR as SecretKey);
        const value = secret === undefined ? undefined : ctx.services.readSecretForGuest(secret, `serviceAccount:${i.serviceAccounts[0]?.email ?? ''}`);
        if (!value) return false;
        held = digest(value);
        tokens.set(keyOf(i), held);
      }
      return timingSafeEqual(held, digest(Buffer.from(token)));
    },

    startPairing(i, channel) {
      const pairing: Pairing = { sessionKey: randomBytes(12).toString('hex'), payload: channel === 'signal' ? signalPayload() : whatsappPayload() };
      const byChannel = pairings.get(keyOf(i)) ?? new Map<ChannelKind, Pairing>();
      byChannel.set(channel, pairing);
      pairings.set(keyOf(i), byChannel);
      writeLine(i.serial, i.name, GATEWAY_LOG, `${channel}: login QR issued; waiting for the phone to scan it`);
      model.publish(i);
      return pairing;
    },

    pairingOf: (i, channel) => pairings.get(keyOf(i))?.get(channel),

    waitLinked(i, channel, timeoutMs) {
      if (model.isLinked(i, channel)) return Promise.resolve(true);
      const key = keyOf(i);
      return new Promise((resolve) => {
        const set = waiters.get(key) ?? new Set<() => void>();
        waiters.set(key, set);
        const done = (linked: boolean) => {
          clearTimeout(timer);
          set.delete(check);
          resolve(linked);
        };
        // Real time: the owner waits at a terminal, not on the emulator's scaled clock.
        const timer = setTimeout(() => done(model.isLinked(i, channel)), timeoutMs);
        const check = () => {
          if (model.isLinked(i, channel) || !pairings.get(key)?.has(channel)) done(model.isLinked(i, channel));
        };
        set.add(check);
      });
    },

    link(i, channel) {
      if (!model.configured(i).includes(channel)) {
        throw new ApiError(400, 'FAILED_PRECONDITION', `guest: ${channel} is not in the agent's runtime profile`, 'failedPrecondition');
      }
      if (!model.pairingOf(i, channel)) {
        throw new ApiError(400, 'FAILED_PRECONDITION', `guest: no ${channel} pairing QR is showing (start one with web.login.start)`, 'failedPrecondition');
      }
      i.guest.linkedChannels = [...new Set([...(i.guest.linkedChannels ?? []), channel])];
      pairings.get(keyOf(i))?.delete(channel);
      writeLine(i.serial, i.name, GATEWAY_LOG, `${channel}: linked; channel started`);
      model.publish(i);
      wake(i);
    },

    stopped(i) {
      tokens.delete(keyOf(i));
      pairings.delete(keyOf(i));
      wake(i);
    },

    clear() {
      tokens.clear();
      pairings.clear();
      for (const set of waiters.values()) for (const w of set) w();
      waiters.clear();
    },
  };
  return model;
}
