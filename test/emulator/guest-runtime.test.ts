/**
 * The guest simulator's runtime-profile side (src/emulator/guest/runtime.ts), observed through the
 * official compute client: a VM whose metadata carries a rendered runtime profile applies it at boot and
 * reports `{ digest, heartbeatSeconds }`; a new profile in metadata is applied in place (same instance);
 * spend grows at the rate the admin endpoint sets (per emulated hour) or by one-off amounts, and is
 * reported with the heartbeat; bad admin input is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { GUEST_NAMESPACE, METADATA } from '../../src/domain/guest-contract.js';
import { parseRuntimeProfile } from '../../src/domain/runtime-profile.js';
import { renderRuntime, runtimeMetadataItems } from '../../src/domain/runtime-metadata.js';
import { createNetwork, createServiceAccount, done, instanceBody, type NetworkFixture } from './support/compute-fixtures.js';

const PROJECT = 'guest-runtime';
const ZONE = 'us-central1-a';
const NAME = 'agent-rt';
const INSTANCE = `projects/${PROJECT}/zones/${ZONE}/instances/${NAME}`;
const LATENCY_SCALE = 0.001;

let emulator: EmulatorHandle;
let gcp: GcpClients;
let net: NetworkFixture;
let email: string;

const ref = { project: PROJECT, zone: ZONE, instance: NAME };
const first = parseRuntimeProfile({ channels: 'telegram', heartbeat: '45m', budgetCap: '10' });
const second = parseRuntimeProfile({ heartbeat: '10m' }, first);

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: LATENCY_SCALE, guest: { minHeartbeatRealMs: 20 } });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  net = await createNetwork(gcp, PROJECT, 'rt-vpc');
  email = await createServiceAccount(gcp, PROJECT, 'agent-rt');
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

async function attributes(): Promise<Record<string, string>> {
  try {
    const [attrs] = await gcp.instances.getGuestAttributes({ ...ref, queryPath: `${GUEST_NAMESPACE}/` });
    return Object.fromEntries((attrs.queryValue?.items ?? []).map((i) => [i.key!, i.value!]));
  } catch {
    return {};
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function admin(body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emulator.url}/__emulator/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const appliedDigest = async () => {
  const a = await attributes();
  return a.runtime ? (JSON.parse(a.runtime) as { digest: string; heartbeatSeconds: number }) : undefined;
};

describe('the guest runtime profile', () => {
  it('applies the rendered profile at boot and reports it', async () => {
    const metadata = {
      [METADATA.startupScript]: '#!/bin/bash\n# rendered boot script',
      [METADATA.enableGuestAttributes]: 'TRUE',
      [METADATA.agentVersion]: '2026.9.6',
      [METADATA.plane]: 'rt',
      [METADATA.agent]: 'rt',
      ...runtimeMetadataItems(first),
    };
    await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, NAME, net, { serviceAccount: email, metadata }) }))[0]);
    const applied = await until('the profile applied', async () => {
      const a = await appliedDigest();
      return a?.digest === renderRuntime(first).digest ? a : undefined;
    });
    expect(applied.heartbeatSeconds).toBe(45 * 60);
    const [out] = await gcp.instances.getSerialPortOutput({ ...ref, port: 1 });
    expect(out.contents).toContain(`applying the runtime profile ${renderRuntime(first).digest}`);
    // The first heartbeat after it publishes a zero spend for the month.
    const spend = await until('a spend report', async () => ((await attributes()).spend ? JSON.parse((await attributes()).spend!) : undefined));
    expect(spend).toEqual({ month: new Date().toISOString().slice(0, 7), tokens: 0, usd: 0 });
  });

  it('applies a new profile in place when metadata changes (same instance)', async () => {
    const [vm] = await gcp.instances.get(ref);
    const items = (vm.metadata?.items ?? []).filter((i) => !(i.key! in runtimeMetadataItems(second)));
    const next = [...items, ...Object.entries(runtimeMetadataItems(second)).map(([key, value]) => ({ key, value }))];
    await done(gcp, PROJECT, (await gcp.instances.setMetadata({ ...ref, metadataResource: { items: next, fingerprint: vm.metadata?.fingerprint } }))[0]);
    const applied = await until('the new profile applied', async () => {
      const a = await appliedDigest();
      return a?.digest === renderRuntime(second).digest ? a : undefined;
    });
    expect(applied.heartbeatSeconds).toBe(600);
    expect((await gcp.instances.get(ref))[0].id).toBe(vm.id);
  });

  it('reports spend at the rate the admin sets, per emulated hour, plus one-off amounts', async () => {
    const added = await admin({ instance: INSTANCE, addSpendUsd: 1.5 });
    expect(added.status).toBe(200);
    expect((added.body as { spend: { usd: number } }).spend.usd).toBe(1.5);
    // 3.6 USD per emulated hour is 1 USD per real second at latency scale 0.001.
    expect((await admin({ instance: INSTANCE, spendUsdPerHour: 3.6 })).status).toBe(200);
    const grown = await until('spend to grow', async () => {
      const s = (await attributes()).spend;
      const usd = s ? (JSON.parse(s) as { usd: number; tokens: number }) : undefined;
      return usd && usd.usd > 2 ? usd : undefined;
    });
    expect(grown.tokens).toBeGreaterThan(0);
    expect((await admin({ instance: INSTANCE, spendUsdPerHour: 0 })).status).toBe(200);
    const view = (await (await fetch(`${emulator.url}/__emulator/guest/runtime`)).json()) as { instances: { instance: string; spendUsdPerHour: number; config: unknown }[] };
    expect(view.instances.find((i) => i.instance === INSTANCE)).toMatchObject({ spendUsdPerHour: 0, config: renderRuntime(second).config });
  });

  it('refuses bad admin input', async () => {
    expect((await admin({ instance: INSTANCE, addSpendUsd: -1 })).status).toBe(400);
    expect((await admin({ instance: INSTANCE, spendUsdPerHour: 'lots' })).status).toBe(400);
    expect((await admin({ addSpendUsd: 1 })).status).toBe(400);
    expect((await admin({ instance: `projects/${PROJECT}/zones/${ZONE}/instances/nope`, addSpendUsd: 1 })).status).toBe(404);
  });
});
