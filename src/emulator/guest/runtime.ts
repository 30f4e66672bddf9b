/**
 * The guest simulator's runtime-profile side: what the startup script and its follower do with the
 * plane-rendered OpenClaw runtime config (metadata `agents-plane-openclaw-runtime`, guest-contract.ts):
 * patch it into openclaw.json, restart the gateway, and report `{ digest, heartbeatSeconds }` in the
 * guest attribute `runtime`. A running agent also reports what its model calls cost this month (guest
 * attribute `spend`, ReportedSpend) in every heartbeat: OpenClaw's heartbeat turns and the owner's
 * conversations, modelled as a rate of USD per emulated hour that tests set, plus one-off amounts.
 *
 * Control (POST /__emulator/guest): `{ instance, spendUsdPerHour: n }` sets the rate of one guest (0 by
 * default), `{ instance, addSpendUsd: n }` adds an amount at once. GET /__emulator/guest/runtime lists,
 * per instance, the applied digest, heartbeat and OpenClaw config, and the spend (never a secret: the
 * config holds SecretRefs only).
 */
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from '../../domain/guest-contract.js';
import type { RenderedRuntime } from '../../domain/runtime-metadata.js';
import type { ReportedSpend } from '../../domain/runtime-profile.js';
import { ApiError, type ServiceContext } from '../core/contract.js';
import { metadataValue } from '../services/compute/instance-metadata.js';
import type { InstanceRecord } from '../services/compute/state.js';

/** Tokens per USD in the spend estimate (a blended $3 per million tokens). */
const TOKENS_PER_USD = 1_000_000 / 3;
const RUNTIME_KEY = `${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.runtime}`;
const SPEND_KEY = `${GUEST_NAMESPACE}/${GUEST_ATTRIBUTES.spend}`;

export interface GuestRuntime {
  /**
   * The runtime config in metadata: at boot whatever it is (the script applies it every boot), later
   * only when it differs from what the guest applied.
   */
  pending(i: InstanceRecord, atBoot: boolean): RenderedRuntime | undefined;
  /** Applies it (after the config patch and gateway restart), writing the log lines a real guest writes. */
  apply(i: InstanceRecord, rendered: RenderedRuntime, log: (message: string) => void): void;
  /** Called at each heartbeat: publishes the applied runtime and this month's spend. */
  beat(i: InstanceRecord): void;
  control(body: { instance?: unknown; spendUsdPerHour?: unknown; addSpendUsd?: unknown }, find: (instance: string) => InstanceRecord): unknown;
  view(lookup: (project: string, zone: string, name: string) => InstanceRecord | undefined): unknown;
  /** Admin fields this module accepts on POST /__emulator/guest. */
  readonly controlFields: readonly string[];
}

function month(now: number): string {
  return new Date(now).toISOString().slice(0, 7);
}

function readRendered(i: InstanceRecord): RenderedRuntime | undefined {
  const value = metadataValue(i, METADATA.openclawRuntime);
  if (!value) return undefined;
  try {
    const r = JSON.parse(value) as RenderedRuntime;
    return typeof r.digest === 'string' && typeof r.heartbeatSeconds === 'number' && typeof r.config === 'object' ? r : undefined;
  } catch {
    return undefined;
  }
}

export function createGuestRuntime(ctx: ServiceContext): GuestRuntime {
  const rates = new Map<string, number>();
  const lastAccrual = new Map<string, number>();
  const applied = new Map<string, { ref: [string, string, string]; rendered: RenderedRuntime }>();
  const key = (i: InstanceRecord) => `${i.project}/${i.zone}/${i.name}/${i.id}`;

  function appliedDigest(i: InstanceRecord): string | undefined {
    const value = i.guestAttributes[RUNTIME_KEY];
    if (!value) return undefined;
    try {
      return (JSON.parse(value) as { digest?: string }).digest;
    } catch {
      return undefined;
    }
  }

  function spendOf(i: InstanceRecord, now: number): ReportedSpend {
    const value = i.guestAttributes[SPEND_KEY];
    const current = month(now);
    if (value) {
      try {
        const s = JSON.parse(value) as ReportedSpend;
        // A new month starts from zero.
        if (s.month === current) return s;
      } catch {
        // Rewritten below.
      }
    }
    return { month: current, tokens: 0, usd: 0 };
  }

  function addSpend(i: InstanceRecord, usd: number, now: number): void {
    const s = spendOf(i, now);
    const total = Math.round((s.usd + usd) * 10_000) / 10_000;
    i.guestAttributes[SPEND_KEY] = JSON.stringify({ month: s.month, tokens: Math.round(total * TOKENS_PER_USD), usd: total });
    ctx.markDirty();
  }

  return {
    controlFields: ['spendUsdPerHour', 'addSpendUsd'],

    pending(i, atBoot) {
      const rendered = readRendered(i);
      return rendered && (atBoot || rendered.digest !== appliedDigest(i)) ? rendered : undefined;
    },

    apply(i, rendered, log) {
      const channels = Object.entries(rendered.config.channels ?? {})
        .filter(([, c]) => c?.enabled)
        .map(([name]) => name);
      log(
        `applying the runtime profile ${rendered.digest}: model ${rendered.config.agents.defaults.model.primary}, ` +
          `heartbeat every ${rendered.config.agents.defaults.heartbeat.every}, channels ${channels.join(',') || 'none'}`,
      );
      applied.set(key(i), { ref: [i.project, i.zone, i.name], rendered });
      i.guestAttributes[RUNTIME_KEY] = JSON.stringify({ digest: rendered.digest, heartbeatSeconds: rendered.heartbeatSeconds });
      ctx.markDirty();
    },

    beat(i) {
      const now = ctx.clock.now();
      const k = key(i);
      const rate = rates.get(k) ?? 0;
      const since = lastAccrual.get(k);
      lastAccrual.set(k, now);
      if (rate > 0 && since !== undefined) {
        // Emulated hours: real time scaled back by the latency scale.
        const hours = (now - since) / Math.max(ctx.config.latencyScale, 1e-6) / 3_600_000;
        addSpend(i, rate * hours, now);
      } else if (!i.guestAttributes[SPEND_KEY] && readRendered(i)) {
        addSpend(i, 0, now);
      }
    },

    control(body, find) {
      if (typeof body.instance !== 'string') throw new ApiError(400, 'INVALID_ARGUMENT', 'guest: instance is required with spendUsdPerHour or addSpendUsd', 'invalid');
      const i = find(body.instance);
      for (const field of ['spendUsdPerHour', 'addSpendUsd'] as const) {
        const v = body[field];
        if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
          throw new ApiError(400, 'INVALID_ARGUMENT', `guest: ${field} must be a number of USD, 0 or more`, 'invalid');
        }
      }
      const now = ctx.clock.now();
      if (typeof body.spendUsdPerHour === 'number') {
        rates.set(key(i), body.spendUsdPerHour);
        lastAccrual.set(key(i), now);
      }
      if (typeof body.addSpendUsd === 'number') addSpend(i, body.addSpendUsd, now);
      return { instance: body.instance, spend: spendOf(i, now), spendUsdPerHour: rates.get(key(i)) ?? 0 };
    },

    view(lookup) {
      const now = ctx.clock.now();
      const instances = [];
      for (const [k, { ref, rendered }] of applied) {
        const i = lookup(...ref);
        if (!i || key(i) !== k) continue;
        instances.push({
          instance: `projects/${i.project}/zones/${i.zone}/instances/${i.name}`,
          id: i.id,
          applied: { digest: rendered.digest, heartbeatSeconds: rendered.heartbeatSeconds },
          config: rendered.config,
          spend: spendOf(i, now),
          spendUsdPerHour: rates.get(k) ?? 0,
        });
      }
      return { instances };
    },
  };
}
