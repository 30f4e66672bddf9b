/**
 * Reading what an agent's guest publishes (guest-contract.ts) and its instance status. Used by the
 * first-heartbeat activity and by the status views; a describe-level read, never a secret.
 */
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, type GuestHealth } from '../domain/guest-contract.js';
import { parseAppliedRuntime } from '../domain/runtime-metadata.js';
import { CHANNEL_KINDS, type AppliedRuntime, type ChannelKind, type ChannelState, type ReportedSpend } from '../domain/runtime-profile.js';
import type { GcpClients } from './clients.js';
import { isNotFound, normalizeGcpError } from './errors.js';

export interface InstanceRef {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
}

export interface GuestReport {
  /** Epoch ms of the last heartbeat, if any. */
  readonly heartbeatAt?: number;
  readonly version?: string;
  readonly health?: GuestHealth;
  /** Per channel of the agent's runtime profile, as the guest reports it (absent: none reported). */
  readonly channels?: Partial<Record<ChannelKind, ChannelState>>;
  /** The format of OpenClaw's on-disk state as of the gateway's last start (an opaque marker). */
  readonly stateFormat?: string;
  /** The runtime profile the guest applied (GUEST_ATTRIBUTES.runtime). */
  readonly runtime?: AppliedRuntime;
  /** What it reports having spent this month (GUEST_ATTRIBUTES.spend). */
  readonly spend?: ReportedSpend;
}

const CHANNEL_STATES: readonly ChannelState[] = ['unconfigured', 'pairing', 'connected', 'failed'];

/** GUEST_ATTRIBUTES.channels, keeping only known channels and states (the guest is not trusted to be well-formed). */
export function parseGuestChannels(raw: string | undefined): Partial<Record<ChannelKind, ChannelState>> | undefined {
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const out: Partial<Record<ChannelKind, ChannelState>> = {};
  for (const kind of CHANNEL_KINDS) {
    const state = (parsed as Record<string, unknown>)[kind];
    if (CHANNEL_STATES.includes(state as ChannelState)) out[kind] = state as ChannelState;
  }
  return out;
}

function parseSpend(value: string | undefined): ReportedSpend | undefined {
  if (!value) return undefined;
  try {
    const s = JSON.parse(value) as Partial<ReportedSpend>;
    if (typeof s.month !== 'string' || !/^\d{4}-\d{2}$/.test(s.month) || typeof s.usd !== 'number' || typeof s.tokens !== 'number') return undefined;
    if (!Number.isFinite(s.usd) || s.usd < 0 || !Number.isFinite(s.tokens) || s.tokens < 0) return undefined;
    return { month: s.month, tokens: s.tokens, usd: s.usd };
  } catch {
    return undefined;
  }
}

export async function readGuestReport(clients: GcpClients, ref: InstanceRef): Promise<GuestReport> {
  try {
    const [attrs] = await clients.instances.getGuestAttributes({ ...ref, queryPath: `${GUEST_NAMESPACE}/` });
    const items = attrs.queryValue?.items ?? [];
    const value = (key: string) => items.find((i) => i.namespace === GUEST_NAMESPACE && i.key === key)?.value ?? undefined;
    const beat = Number(value(GUEST_ATTRIBUTES.heartbeat));
    const report: { -readonly [K in keyof GuestReport]: GuestReport[K] } = {};
    if (Number.isFinite(beat) && beat > 0) report.heartbeatAt = beat * 1000;
    const version = value(GUEST_ATTRIBUTES.version);
    if (version) report.version = version;
    const health = value(GUEST_ATTRIBUTES.health);
    if (health) report.health = health as GuestHealth;
    const channels = parseGuestChannels(value(GUEST_ATTRIBUTES.channels));
    if (channels) report.channels = channels;
    const stateFormat = value(GUEST_ATTRIBUTES.stateFormat);
    if (stateFormat) report.stateFormat = stateFormat;
    const runtime = parseAppliedRuntime(value(GUEST_ATTRIBUTES.runtime));
    if (runtime) report.runtime = runtime;
    const spend = parseSpend(value(GUEST_ATTRIBUTES.spend));
    if (spend) report.spend = spend;
    return report;
  } catch (error) {
    // Nothing published yet (or no instance) reads as 404.
    if (isNotFound(error)) return {};
    throw normalizeGcpError(error, 'read guest attributes');
  }
}

/** The instance's lifecycle status (RUNNING, TERMINATED, ...), or undefined when there is none. */
export async function readInstanceStatus(clients: GcpClients, ref: InstanceRef): Promise<string | undefined> {
  try {
    const [instance] = await clients.instances.get(ref);
    return instance.status ?? undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw normalizeGcpError(error, 'read instance');
  }
}
