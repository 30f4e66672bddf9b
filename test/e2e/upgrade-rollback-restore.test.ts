/**
 * Issue 5 item 1, end to end (CLI → Temporal dev server → worker process → emulator) on a plane of 3
 * agents: a halted upgrade rolls a touched agent back according to what the new version did to its
 * on-disk state, as the guest's state-format attribute tells.
 * - a version that migrates OpenClaw's state and then fails its health check: the canary is rebuilt
 *   from its pre-upgrade snapshot (its boot disk's sourceSnapshot is that snapshot), runs the old
 *   version healthy on the old state format, keeps its service account; the rollout halts; the other
 *   agents are untouched (same instances, never unavailable);
 * - a version that fails its health check without migrating: the canary only gets its old version back
 *   in metadata (same instance, same disk, no restore workflow);
 * - destroying the plane then leaves nothing (the restore's safety snapshot included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import type { AgentName } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { DEFAULT_AGENT_VERSION } from '../../src/domain/versions.js';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE } from '../../src/domain/guest-contract.js';
import { INITIAL_STATE_FORMAT, stateFormatOf } from '../../src/emulator/guest/state-format.js';
import { upgradeProgressQuery, type UpgradeProgress } from '../../src/workflows/upgrade-messages.js';

const plane = planeFixture('urb');
const agents = ['r0', 'r1', 'r2'] as AgentName[];
const OLD = DEFAULT_AGENT_VERSION as string;
/** Migrates the state on its first start, then fails its health check. */
const MIGRATES_AND_FAILS = '2026.10.5-migrates';
/** Fails its health check, state untouched. */
const JUST_FAILS = '2026.10.6-broken';

let stack: E2EStack;

beforeAll(async () => {
  stack = await E2EStack.start('urb', { latencyScale: 0.005 });
  expect(Object.values(await stack.planeWithAgents(plane, agents))).toEqual(agents.map(() => 'Ready'));
  await stack.emulator.admin('guest', { failingVersions: [MIGRATES_AND_FAILS, JUST_FAILS], stateMigratingVersions: [MIGRATES_AND_FAILS] });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const where = (a: AgentName) => ({ project: plane.project, zone: plane.zone, instance: agentResourceNames(plane.project, plane.name, a).instance });

interface Vm {
  readonly instanceId: string;
  readonly serviceAccount: string;
  readonly sourceSnapshot: string;
  readonly version?: string;
  readonly health?: string;
  readonly stateFormat?: string;
}

/** An agent's VM as compute shows it: instance id, service account, boot disk source, guest attributes. */
async function vm(a: AgentName): Promise<Vm> {
  const gcp = stack.gcp();
  const [instance] = await gcp.instances.get(where(a));
  const [disk] = await gcp.disks.get({ project: plane.project, zone: plane.zone, disk: agentResourceNames(plane.project, plane.name, a).bootDisk });
  const [attrs] = await gcp.instances.getGuestAttributes({ ...where(a), queryPath: `${GUEST_NAMESPACE}/` });
  const value = (key: string) => attrs.queryValue?.items?.find((i) => i.key === key)?.value ?? undefined;
  return {
    instanceId: String(instance.id),
    serviceAccount: instance.serviceAccounts?.[0]?.email ?? '',
    sourceSnapshot: disk.sourceSnapshot ?? '',
    version: value(GUEST_ATTRIBUTES.version),
    health: value(GUEST_ATTRIBUTES.health),
    stateFormat: value(GUEST_ATTRIBUTES.stateFormat),
  };
}

const vms = async () => Object.fromEntries(await Promise.all(agents.map(async (a) => [a, await vm(a)] as const)));

async function progressOf(workflowId: string): Promise<UpgradeProgress> {
  return stack.client.workflow.getHandle(workflowId).query(upgradeProgressQuery);
}

async function expectAllReadyOn(version: string): Promise<void> {
  const status = json<{ planes: { agents: { name: string; state: string; agentVersion: string }[] }[] }>(
    await stack.cli(['planes', 'status', '--plane', plane.name, '--json']),
  );
  for (const row of status.planes[0]!.agents) expect(row, row.name).toMatchObject({ state: 'Ready', agentVersion: version });
}

describe('rollback of a halted upgrade, by what the new version did to the state', () => {
  it('restores the canary from its pre-upgrade snapshot when the failed version migrated its state', async () => {
    const before = await vms();
    for (const a of agents) expect(before[a], a).toMatchObject({ version: OLD, health: 'ok', stateFormat: INITIAL_STATE_FORMAT, sourceSnapshot: '' });

    const r = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', MIGRATES_AND_FAILS, '--canary', '1', '--health-timeout', '3s', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const error = json<{ error: { code: string; message: string } }>(r).error;
    expect(error.code).toBe('UPGRADE_HALTED');
    expect(error.message).toContain('restored from the pre-upgrade snapshot');
    expect(error.message).toContain('r0');

    const p = await progressOf(`upgrade/${plane.name}/1`);
    expect(p).toMatchObject({ halted: true, rolledBack: true, state: 'failed', canary: { agents: ['r0'], state: 'rolled-back' } });
    expect(p.error?.type).toBe('AGENT_NOT_HEALTHY');
    const canary = p.agents.find((a) => a.name === 'r0')!;
    expect(canary).toMatchObject({
      state: 'rolled-back',
      snapshot: expect.stringMatching(/-u1$/),
      stateFormat: INITIAL_STATE_FORMAT,
      rollback: {
        kind: 'restore',
        reason: `state format changed (${INITIAL_STATE_FORMAT} -> ${stateFormatOf(MIGRATES_AND_FAILS)})`,
        restoreWorkflowId: expect.stringMatching(new RegExp(`^agent/${plane.name}/r0/restore/`)),
        safetySnapshot: expect.any(String),
      },
    });
    // The restore ran as a workflow of its own, to its end.
    const restore = await stack.client.workflow.getHandle(canary.rollback!.restoreWorkflowId!).describe();
    expect(restore.status.name).toBe('COMPLETED');

    const after = await vms();
    // Rebuilt from the pre-upgrade snapshot: a new instance whose boot disk comes from it, same identity,
    // the old version healthy on the state as it was before the upgrade.
    expect(after.r0).toMatchObject({ version: OLD, health: 'ok', stateFormat: INITIAL_STATE_FORMAT, serviceAccount: before.r0!.serviceAccount });
    expect(after.r0!.sourceSnapshot).toMatch(new RegExp(`/global/snapshots/${canary.snapshot!}$`));
    expect(after.r0!.instanceId).not.toBe(before.r0!.instanceId);
    // The migrated disk is kept in the restore's safety snapshot.
    const [safety] = await stack.gcp().snapshots.get({ project: plane.project, snapshot: canary.rollback!.safetySnapshot! });
    expect(safety.status).toBe('READY');

    // The rollout halted: the others were never touched.
    for (const a of ['r1', 'r2'] as const) {
      expect(p.agents.find((x) => x.name === a), a).toMatchObject({ state: 'pending', unavailable: [] });
      expect(p.agents.find((x) => x.name === a)!.rollback, a).toBeUndefined();
      expect(after[a], a).toEqual(before[a]);
    }
    await expectAllReadyOn(OLD);
  }, 180_000);

  it('only sets the old version back when the failed version left the state as it was', async () => {
    const before = await vms();
    const r = await stack.cli(['planes', 'upgrade', '--plane', plane.name, '--version', JUST_FAILS, '--canary', '1', '--health-timeout', '3s', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const error = json<{ error: { code: string; message: string } }>(r).error;
    expect(error.code).toBe('UPGRADE_HALTED');
    expect(error.message).not.toContain('restored from the pre-upgrade snapshot');

    const p = await progressOf(`upgrade/${plane.name}/2`);
    expect(p).toMatchObject({ halted: true, rolledBack: true, canary: { agents: ['r0'], state: 'rolled-back' } });
    const canary = p.agents.find((a) => a.name === 'r0')!;
    expect(canary).toMatchObject({
      state: 'rolled-back',
      stateFormat: INITIAL_STATE_FORMAT,
      rollback: { kind: 'metadata', reason: `state format unchanged (${INITIAL_STATE_FORMAT})` },
    });
    expect(canary.rollback!.restoreWorkflowId).toBeUndefined();

    // The same VM on the same disk, back on the old version: no restore happened.
    const after = await vms();
    expect(after).toEqual(before);
    expect(after.r0).toMatchObject({ version: OLD, health: 'ok' });
    const restores = await stack.client.workflow.count(`WorkflowId STARTS_WITH 'agent/${plane.name}/r0/restore/'`);
    expect(restores.count).toBe(1);
    await expectAllReadyOn(OLD);
  }, 90_000);

  it('leaves nothing when the plane is destroyed, the restore safety snapshot included', async () => {
    const destroyed = await stack.cli(['planes', 'destroy', '--plane', plane.name, '--force', '--json'], { timeoutMs: 180_000 });
    expect(destroyed.code, destroyed.stdout + destroyed.stderr).toBe(0);
    const left = (await stack.inventory()).filter((x) => x.kind !== 'resourcemanager.projects');
    expect(left.map((x) => `${x.kind} ${x.name}`)).toEqual([]);
  }, 200_000);
});
