/**
 * Backups and restores in the emulator, through the official compute client: a snapshot reports its
 * size (diskSizeGb, storageBytes: full first, incremental after), snapshots list by label (keys with
 * `-`, as the plane's labels have), a boot disk is made from a READY snapshot (sourceSnapshot and its
 * id on the disk; not smaller than the snapshot; not together with an image; a missing snapshot is
 * GCP's invalid-field error), the guest on a disk made from a snapshot boots again with what it had
 * installed, and a snapshot is deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { GUEST_NAMESPACE, METADATA } from '../../src/domain/guest-contract.js';
import { computeFailure } from './support/compute-failure.js';
import { createNetwork, createServiceAccount, done, instanceBody, type NetworkFixture } from './support/compute-fixtures.js';

const PROJECT = 'restore-suite';
const ZONE = 'us-central1-a';
const VERSION = '2026.1.0';
const API = 'https://www.googleapis.com/compute/v1';

let emulator: EmulatorHandle;
let gcp: GcpClients;
let net: NetworkFixture;
let email: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001, guest: { minHeartbeatRealMs: 20 } });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  net = await createNetwork(gcp, PROJECT, 'restore-vpc');
  email = await createServiceAccount(gcp, PROJECT, 'agent-restore');
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

const metadata = {
  [METADATA.startupScript]: '#!/bin/bash\n# rendered boot script',
  [METADATA.enableGuestAttributes]: 'TRUE',
  [METADATA.agentVersion]: VERSION,
  [METADATA.plane]: 'restores',
  [METADATA.agent]: 'a1',
};

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function health(instance: string): Promise<string | undefined> {
  try {
    const [attrs] = await gcp.instances.getGuestAttributes({ project: PROJECT, zone: ZONE, instance, queryPath: `${GUEST_NAMESPACE}/` });
    return attrs.queryValue?.items?.find((i) => i.key === 'health')?.value ?? undefined;
  } catch {
    return undefined;
  }
}

async function serial(instance: string): Promise<string> {
  const [out] = await gcp.instances.getSerialPortOutput({ project: PROJECT, zone: ZONE, instance, port: 1 });
  return out.contents ?? '';
}

async function snapshot(disk: string, name: string, labels: Record<string, string>): Promise<void> {
  const [op] = await gcp.disks.createSnapshot({ project: PROJECT, zone: ZONE, disk, snapshotResource: { name, labels } });
  const finished = await done(gcp, PROJECT, op);
  expect(finished.error).toBeFalsy();
}

const fromSnapshot = (name: string, snapshotRef: string, size?: string) => {
  const body = instanceBody(PROJECT, name, net, { serviceAccount: email, metadata });
  return {
    ...body,
    disks: [{ boot: true, autoDelete: true, initializeParams: { sourceSnapshot: snapshotRef, diskType: `zones/${ZONE}/diskTypes/pd-balanced`, ...(size ? { diskSizeGb: size } : {}) } }],
  };
};

describe('snapshots and disks made from them', () => {
  it('snapshots a booted agent disk, lists by label, restores it onto a new instance whose guest boots again, deletes snapshots', async () => {
    const [insert] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'vm-a', net, { serviceAccount: email, metadata }) });
    await done(gcp, PROJECT, insert);
    await until(() => health('vm-a'), (h) => h === 'ok', 'the first boot');

    await snapshot('vm-a', 'vm-a-b1', { 'agents-plane-agent': 'a1', 'agents-plane-backup': '1' });
    await snapshot('vm-a', 'vm-a-b2', { 'agents-plane-agent': 'a1', 'agents-plane-backup': '2' });
    await snapshot('vm-a', 'other-b1', { 'agents-plane-agent': 'a2' });
    const [first] = await gcp.snapshots.get({ project: PROJECT, snapshot: 'vm-a-b1' });
    const [second] = await gcp.snapshots.get({ project: PROJECT, snapshot: 'vm-a-b2' });
    expect(first).toMatchObject({ status: 'READY', diskSizeGb: '20', storageBytes: String(2 * 1024 ** 3), sourceDisk: `${API}/projects/${PROJECT}/zones/${ZONE}/disks/vm-a` });
    expect(second.storageBytes).toBe(String(64 * 1024 ** 2));

    const [listed] = await gcp.snapshots.list({ project: PROJECT, filter: 'labels.agents-plane-agent = a1' });
    expect(listed.map((s) => s.name).sort()).toEqual(['vm-a-b1', 'vm-a-b2']);

    // The original goes; its boot disk with it (autoDelete).
    await done(gcp, PROJECT, (await gcp.instances.delete({ project: PROJECT, zone: ZONE, instance: 'vm-a' }))[0]);
    expect((await computeFailure(gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'vm-a' }))).http).toBe(404);

    const [restore] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: fromSnapshot('vm-a', `projects/${PROJECT}/global/snapshots/vm-a-b1`) });
    await done(gcp, PROJECT, restore);
    const [disk] = await gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'vm-a' });
    expect(disk).toMatchObject({ sizeGb: '20', status: 'READY', sourceSnapshot: `${API}/projects/${PROJECT}/global/snapshots/vm-a-b1`, sourceSnapshotId: first.id });
    expect(disk.sourceImage).toBeFalsy();
    const row = (await emulator.inventory()).find((r) => r.kind === 'compute.disks' && r.name.endsWith('/disks/vm-a'));
    expect(row?.attributes?.sourceSnapshot).toBe(`projects/${PROJECT}/global/snapshots/vm-a-b1`);

    // The restored guest boots again from what the disk holds: nothing reinstalled, healthy again.
    await until(() => health('vm-a'), (h) => h === 'ok', 'the restored boot');
    const console = await serial('vm-a');
    expect(console).toContain('Node 24.21.0 is already installed');
    expect(console).toContain(`OpenClaw ${VERSION} is already installed`);

    for (const name of ['vm-a-b1', 'vm-a-b2', 'other-b1']) {
      await done(gcp, PROJECT, (await gcp.snapshots.delete({ project: PROJECT, snapshot: name }))[0]);
      expect((await computeFailure(gcp.snapshots.get({ project: PROJECT, snapshot: name }))).http).toBe(404);
    }
  });

  it('refuses a disk smaller than its snapshot, a missing snapshot, and an image together with a snapshot', async () => {
    const [insert] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'vm-b', net, { serviceAccount: email }) });
    await done(gcp, PROJECT, insert);
    await snapshot('vm-b', 'vm-b-b1', {});

    const small = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: fromSnapshot('vm-c', 'global/snapshots/vm-b-b1', '10') }));
    expect(small.http).toBe(400);
    expect(small.body.error.message).toContain("Invalid value for field 'resource.disks[0].initializeParams.diskSizeGb'");
    expect(small.body.error.message).toContain('smaller than the snapshot size (20 GB)');

    const missing = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: fromSnapshot('vm-c', 'global/snapshots/nope') }));
    expect(missing.http).toBe(400);
    expect(missing.body.error.errors?.[0]).toMatchObject({ reason: 'invalid', domain: 'global' });
    expect(missing.body.error.message).toContain("'resource.disks[0].initializeParams.sourceSnapshot'");

    const both = fromSnapshot('vm-c', 'vm-b-b1');
    both.disks[0]!.initializeParams = { ...both.disks[0]!.initializeParams, sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } as never;
    const twice = await computeFailure(gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: both }));
    expect(twice.http).toBe(400);
    expect(twice.body.error.message).toContain('Only one of sourceImage and sourceSnapshot');

    // Nothing was created by the refused inserts.
    expect((await computeFailure(gcp.instances.get({ project: PROJECT, zone: ZONE, instance: 'vm-c' }))).http).toBe(404);
    expect((await computeFailure(gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'vm-c' }))).http).toBe(404);

    // A bare snapshot name works too, and a larger disk than the snapshot.
    const [ok] = await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: fromSnapshot('vm-c', 'vm-b-b1', '30') });
    await done(gcp, PROJECT, ok);
    const [disk] = await gcp.disks.get({ project: PROJECT, zone: ZONE, disk: 'vm-c' });
    expect(disk.sizeGb).toBe('30');
  });
});
