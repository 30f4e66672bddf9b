/**
 * compute.instances.setMachineType through the official client (@google-cloud/compute over REST), with
 * GCP's semantics: only on a stopped (TERMINATED) instance, a type the instance's zone offers (full URL,
 * zone-relative or bare name), a zone operation, requestId de-duplication, and a faulted operation that
 * leaves the type as it was. The new type's vCPUs are charged when the instance starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpClients, type GcpClients } from '../../src/gcp/clients.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { computeFailure } from './support/compute-failure.js';
import { createNetwork, done, instanceBody } from './support/compute-fixtures.js';

const PROJECT = 'resize-suite';
const ZONE = 'us-central1-a';
const ref = { project: PROJECT, zone: ZONE, instance: 'sized' };
const typeUrl = (t: string) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/machineTypes/${t}`;
const UUID_A = '0b7e5a7c-2f44-4c61-9a53-3c1f0d2e4b51';
const UUID_B = '8d2f1e60-7a3b-4c9d-8e15-b6a47c3d2f90';

let emulator: EmulatorHandle;
let gcp: GcpClients;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, latencyScale: 0.001, seed: 11, computeQuotas: { CPUS: 4 } });
  gcp = createGcpClients({ emulatorUrl: emulator.url }, { resilient: false });
  const net = await createNetwork(gcp, PROJECT, 'resize-vpc');
  await done(gcp, PROJECT, (await gcp.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: instanceBody(PROJECT, 'sized', net) }))[0]);
});

afterAll(async () => {
  await gcp?.close();
  await emulator?.close();
});

const machineTypeOf = async () => (await gcp.instances.get(ref))[0].machineType;

describe('instances.setMachineType', () => {
  it('refuses a running instance with 400 "Instance is starting or running." and changes nothing', async () => {
    const f = await computeFailure(gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: `zones/${ZONE}/machineTypes/e2-medium` } }));
    expect(f.http).toBe(400);
    expect(f.body.error.message).toBe('Instance is starting or running.');
    expect(f.body.error.errors?.[0]).toMatchObject({ message: 'Instance is starting or running.', reason: 'resourceNotReady' });
    expect(await machineTypeOf()).toBe(typeUrl('e2-small'));
  });

  it('changes a stopped instance through a zone operation (zone-relative, full URL, bare name)', async () => {
    await done(gcp, PROJECT, (await gcp.instances.stop(ref))[0]);
    const [started] = await gcp.instances.setMachineType({ ...ref, requestId: UUID_A, instancesSetMachineTypeRequestResource: { machineType: `zones/${ZONE}/machineTypes/e2-medium` } });
    const op = await done(gcp, PROJECT, started);
    expect(op).toMatchObject({
      status: 'DONE',
      operationType: 'setMachineType',
      targetLink: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/sized`,
      zone: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
    });
    expect(op.error).toBeFalsy();
    expect(await machineTypeOf()).toBe(typeUrl('e2-medium'));

    await done(gcp, PROJECT, (await gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: typeUrl('e2-standard-2') } }))[0]);
    expect(await machineTypeOf()).toBe(typeUrl('e2-standard-2'));
    await done(gcp, PROJECT, (await gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: 'e2-medium' } }))[0]);
    expect(await machineTypeOf()).toBe(typeUrl('e2-medium'));
  });

  it('answers a repeated requestId with the operation it started, without changing the type again', async () => {
    const [again] = await gcp.instances.setMachineType({ ...ref, requestId: UUID_A, instancesSetMachineTypeRequestResource: { machineType: `zones/${ZONE}/machineTypes/e2-standard-4` } });
    const first = (await gcp.zoneOperations.list({ project: PROJECT, zone: ZONE }))[0].find((o) => o.operationType === 'setMachineType');
    expect((again.latestResponse as { name?: string }).name).toBe(first?.name);
    expect(await machineTypeOf()).toBe(typeUrl('e2-medium'));
  });

  it('refuses a type the zone does not offer, one of another zone, and none (400)', async () => {
    const unknown = await computeFailure(gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: `zones/${ZONE}/machineTypes/e2-gigantic` } }));
    expect(unknown.http).toBe(400);
    expect(unknown.body.error.message).toBe(
      `Invalid value for field 'machineType': 'zones/${ZONE}/machineTypes/e2-gigantic'. Machine type with name 'e2-gigantic' does not exist in zone '${ZONE}'.`,
    );
    const elsewhere = await computeFailure(gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: 'zones/us-central1-b/machineTypes/e2-medium' } }));
    expect(elsewhere.body.error.message).toContain(`Machine type must be in the instance's zone (${ZONE}).`);
    const missing = await computeFailure(gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: {} }));
    expect(missing.http).toBe(400);
    expect(await machineTypeOf()).toBe(typeUrl('e2-medium'));
  });

  it('leaves the type as it was when the operation fails (injected operationError)', async () => {
    emulator.setFaults([{ method: 'compute.instances.setMachineType', kind: 'operationError', count: 1 }]);
    const op = await done(gcp, PROJECT, (await gcp.instances.setMachineType({ ...ref, requestId: UUID_B, instancesSetMachineTypeRequestResource: { machineType: 'e2-standard-2' } }))[0]);
    expect(op.error?.errors?.[0]?.code).toBe('INTERNAL_ERROR');
    expect(await machineTypeOf()).toBe(typeUrl('e2-medium'));
  });

  it("charges the new type's vCPUs when the instance starts: over the CPUS quota it does not start", async () => {
    await done(gcp, PROJECT, (await gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: 'e2-standard-8' } }))[0]);
    const f = await computeFailure(gcp.instances.start(ref));
    expect(f.http).toBe(403);
    expect(f.body.error.message).toBe("Quota 'CPUS' exceeded.  Limit: 4.0 in region us-central1.");
    await done(gcp, PROJECT, (await gcp.instances.setMachineType({ ...ref, instancesSetMachineTypeRequestResource: { machineType: 'e2-standard-4' } }))[0]);
    await done(gcp, PROJECT, (await gcp.instances.start(ref))[0]);
    const [vm] = await gcp.instances.get(ref);
    expect(vm).toMatchObject({ status: 'RUNNING', machineType: typeUrl('e2-standard-4') });
  });
});
