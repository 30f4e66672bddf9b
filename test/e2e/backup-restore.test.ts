/**
 * Issue 5, backups and restore, end to end (real CLI → Temporal dev server → worker process → emulator)
 * on a plane of two agents:
 * - `planes backup --schedule --keep 2` makes the Temporal Schedule `backup/<plane>` on this deployment's
 *   task queue (set again: updated, not duplicated); a triggered run snapshots every agent with its cost
 *   labels and a backup label;
 * - on-demand runs with --keep 2 prune the oldest: exactly the two newest backups per agent remain, and
 *   a pre-upgrade snapshot is never touched; `planes backups` lists them with age and size;
 * - `planes restore` brings an agent back on a disk made from its newest backup (sourceSnapshot in the
 *   inventory), Ready, with the same service account, secrets and owner grants, and keeps a safety
 *   snapshot; a restore whose new VM cannot be created falls back to the safety snapshot (exit 1, the
 *   agent Ready on its previous disk);
 * - bad input is exit 2 naming the field, and nothing is started or created;
 * - destroying the plane removes its backup schedule.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json, type CliRun } from '../setup/cli.js';
import { E2EStack, agent as agentFixture, plane as planeFixture } from './support/stack.js';
import { agentGrants, expectedAgentGrants } from './support/expectations.js';
import { agentLabels } from '../../src/domain/labels.js';
import { BACKUP_LABEL, PRE_UPGRADE_LABEL, RESTORE_LABEL } from '../../src/domain/backups.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { backupScheduleId } from '../../src/domain/workflow-ids.js';
import type { BackupResult } from '../../src/workflows/backup-plane.js';
import type { InventoryResource } from '../../src/emulator/index.js';
import type { BackupListing } from '../../src/cli/planes/backup.js';
import type { RestoreOutput } from '../../src/cli/planes/restore.js';

const plane = planeFixture('bkp');
const agents = [agentFixture('ada', 'ada@example.com'), agentFixture('bo', 'bo@example.com')];
const [ada, bo] = agents as [(typeof agents)[0], (typeof agents)[0]];
const SECRET_VALUE = 'sk-ant-backup-restore-secret-value';
const scheduleId = backupScheduleId(plane.name);

let stack: E2EStack;
/** Per agent, the backup snapshots of each run, oldest run first. */
const runs: Record<string, string>[] = [];

beforeAll(async () => {
  stack = await E2EStack.start('bkp', { latencyScale: 0.005 });
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await Promise.all(
    agents.map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a.name, '--owner', a.owner, '--no-wait', '--json'])),
  );
  for (const r of added) expect(r.code, r.stderr).toBe(0);
  const states = await stack.waitForAgents(plane.name, agents.map((a) => a.name), ['Ready', 'Failed'], 120_000);
  expect(Object.values(states)).toEqual(['Ready', 'Ready']);
  const set = await stack.cli(['planes', 'secrets', 'set', '--plane', plane.name, '--agent', ada.name, '--key', 'ANTHROPIC_API_KEY', '--json'], {
    input: `${SECRET_VALUE}\n`,
  });
  expect(set.code, set.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const snapshotsOf = async (agent?: string): Promise<InventoryResource[]> =>
  (await stack.inventory()).filter((r) => r.kind === 'compute.snapshots' && r.labels['agents-plane-plane'] === plane.name && (!agent || r.labels['agents-plane-agent'] === agent));
const backupNames = async (agent: string) => (await snapshotsOf(agent)).filter((s) => s.labels[BACKUP_LABEL]).map((s) => s.name.split('/').pop()!).sort();
const bootDiskOf = async (agent: string) =>
  (await stack.inventory()).find((r) => r.kind === 'compute.disks' && r.name.endsWith(`/disks/${agentResourceNames(plane.project, plane.name, agent as never).bootDisk}`));

function record(result: BackupResult): void {
  const byAgent: Record<string, string> = {};
  for (const a of result.agents) {
    expect(a.error, a.agent).toBeUndefined();
    expect(a.snapshot, a.agent).toBeTruthy();
    byAgent[a.agent] = a.snapshot!;
  }
  expect(Object.keys(byAgent).sort()).toEqual(['ada', 'bo']);
  runs.push(byAgent);
}

describe('backup schedule', () => {
  it('creates the Temporal Schedule on the deployment task queue, updates it in place, and a triggered run snapshots every agent', async () => {
    const first = await stack.cli(['planes', 'backup', '--plane', plane.name, '--schedule', '0 3 * * *', '--keep', '2', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(json<{ created: boolean }>(first).created).toBe(true);
    const again = await stack.cli(['planes', 'backup', '--plane', plane.name, '--schedule', '30 4 * * *', '--keep', '2', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const updated = json<{ created: boolean; schedule: { scheduleId: string; cron: string; keep: number; taskQueue: string } }>(again);
    expect(updated).toMatchObject({ created: false, schedule: { scheduleId, cron: '30 4 * * *', keep: 2, taskQueue: stack.taskQueue } });

    const handle = stack.client.schedule.getHandle(scheduleId);
    const described = await handle.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'backupPlane', taskQueue: stack.taskQueue, args: [{ plane: plane.name, keep: 2 }] });
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    let ours = 0;
    for await (const s of stack.client.schedule.list()) if (s.scheduleId === scheduleId) ours++;
    expect(ours).toBe(1);

    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 200 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(workflowId).toMatch(new RegExp(`^backup/${plane.name}/scheduled-`));
    const result = await stack.client.workflow.getHandle(workflowId!).result();
    record(result as BackupResult);

    for (const a of agents) {
      const [snap] = (await snapshotsOf(a.name)).filter((s) => s.name.endsWith(runs[0]![a.name]!));
      // The agent's cost labels (plane, agent, owner, managed-by) and the backup label with the run's stamp.
      expect(snap?.labels).toEqual({ ...agentLabels(plane.name, a.name, a.owner), [BACKUP_LABEL]: (result as BackupResult).stamp });
      expect(snap?.attributes?.storageBytes).toBeGreaterThan(0);
      expect(snap?.attributes?.sourceDisk).toBe(`projects/${plane.project}/zones/${plane.zone}/disks/${agentResourceNames(plane.project, plane.name, a.name).bootDisk}`);
    }
  });
});

describe('retention', () => {
  it('keeps exactly the two newest backups per agent and never touches a pre-upgrade snapshot', async () => {
    // A pre-upgrade snapshot of bo's disk, as upgradePlane labels it.
    const disk = agentResourceNames(plane.project, plane.name, bo.name).bootDisk;
    const [op] = await stack.gcp().disks.createSnapshot({
      project: plane.project,
      zone: plane.zone,
      disk,
      snapshotResource: { name: `${disk}-u9`, labels: { ...agentLabels(plane.name, bo.name, bo.owner), [PRE_UPGRADE_LABEL]: '9' } },
    });
    for (let i = 0; i < 200 && (await snapshotsOf(bo.name)).find((s) => s.name.endsWith('-u9'))?.attributes?.status !== 'READY'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(op).toBeTruthy();

    for (let run = 2; run <= 4; run++) {
      const r = await stack.cli(['planes', 'backup', '--plane', plane.name, '--keep', '2', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const result = json<{ result: BackupResult }>(r).result;
      record(result);
      // Each run deletes what fell out of the newest two: nothing on the second, then the oldest.
      const expectedPruned = run === 2 ? [] : [runs[run - 3]];
      for (const a of agents) expect(result.agents.find((x) => x.agent === a.name)?.pruned).toEqual(expectedPruned.map((byAgent) => byAgent![a.name]));
    }
    for (const a of agents) expect(await backupNames(a.name)).toEqual([runs[2]![a.name]!, runs[3]![a.name]!].sort());
    expect((await snapshotsOf(bo.name)).map((s) => s.name.split('/').pop())).toContain(`${disk}-u9`);

    const listed = await stack.cli(['planes', 'backups', '--plane', plane.name, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const listing = json<BackupListing>(listed);
    expect(listing.schedule).toMatchObject({ scheduleId, cron: '30 4 * * *', keep: 2 });
    expect(listing.snapshots.filter((s) => s.kind === 'backup').map((s) => s.name).sort()).toEqual(
      agents.flatMap((a) => [runs[2]![a.name]!, runs[3]![a.name]!]).sort(),
    );
    expect(listing.snapshots.find((s) => s.kind === 'pre-upgrade')?.name).toBe(`${disk}-u9`);
    for (const s of listing.snapshots) {
      expect(s.storageBytes).toBeGreaterThan(0);
      expect(s.diskSizeGb).toBe(20);
      expect(s.ageSeconds).toBeGreaterThanOrEqual(0);
    }
    const human = await stack.cli(['planes', 'backup', '--plane', plane.name, '--list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/AGENT\s+KIND\s+SNAPSHOT\s+STATUS\s+AGE\s+STORED\s+DISK/);
  });
});

describe('restore', () => {
  it('brings an agent back on its newest backup with the same service account, secrets and grants', async () => {
    const n = agentResourceNames(plane.project, plane.name, ada.name);
    const before = (await stack.inventory()).find((r) => r.kind === 'compute.instances' && r.name.endsWith(`/instances/${n.instance}`));
    expect(before?.attributes?.serviceAccounts).toEqual([n.serviceAccountEmail]);
    const newest = runs[3]![ada.name]!;

    const restored = await stack.cli(['planes', 'restore', '--plane', plane.name, '--agent', ada.name, '--json'], { timeoutMs: 120_000 });
    expect(restored.code, restored.stderr).toBe(0);
    const out = json<RestoreOutput>(restored);
    expect(out).toMatchObject({ plane: plane.name, agent: ada.name, snapshot: newest, state: 'Ready' });

    const disk = await bootDiskOf(ada.name);
    expect(disk?.attributes?.sourceSnapshot).toBe(`projects/${plane.project}/global/snapshots/${newest}`);
    expect(disk?.attributes?.resourcePolicies).toEqual([`projects/${plane.project}/regions/${plane.region}/resourcePolicies/ap-${plane.name}-snapshots`]);
    expect(disk?.labels).toEqual(agentLabels(plane.name, ada.name, ada.owner));
    const instance = (await stack.inventory()).find((r) => r.kind === 'compute.instances' && r.name.endsWith(`/instances/${n.instance}`));
    expect(instance?.attributes).toMatchObject({ status: 'RUNNING', serviceAccounts: [n.serviceAccountEmail], guest: { health: 'ok' } });
    expect((instance?.attributes?.networkInterfaces as { externalIp: boolean }[])[0]?.externalIp).toBe(false);
    expect(await agentGrants(stack.gcp(), plane, ada)).toEqual(expectedAgentGrants(plane, ada));

    // The same secrets: the owner's version is still there and the restored guest fetched it at boot.
    const [versions] = await stack.gcp().secrets.listSecretVersions({ parent: n.secretName('ANTHROPIC_API_KEY' as never) });
    expect(versions.map((v) => v.state)).toEqual(['ENABLED']);
    const logs = await stack.cli(['planes', 'logs', '--plane', plane.name, '--name', ada.name]);
    expect(logs.stdout).toContain(`secret ${n.secretName('ANTHROPIC_API_KEY' as never)}: fetched`);
    expect(logs.stdout).toContain('is already installed');

    // The disk it replaced is kept as a safety snapshot.
    expect(out.safetySnapshot).toMatch(new RegExp(`^${n.bootDisk}-r\\d{17}$`));
    const safety = (await snapshotsOf(ada.name)).find((s) => s.name.endsWith(`/${out.safetySnapshot}`));
    expect(safety?.labels[RESTORE_LABEL]).toBeTruthy();
    const status = json<{ planes: { agents: { name: string; state: string }[] }[] }>(await stack.cli(['planes', 'status', '--plane', plane.name, '--json']));
    expect(status.planes[0]?.agents.find((a) => a.name === ada.name)?.state).toBe('Ready');
    await stack.expectNoSecretAnywhere(SECRET_VALUE);
  });

  it('falls back to the safety snapshot when the restored VM cannot be created', async () => {
    const n = agentResourceNames(plane.project, plane.name, bo.name);
    await stack.setFaults([{ method: 'compute.instances.insert', kind: 'invalid', count: 1 }]);
    const failed = await stack.cli(['planes', 'restore', '--plane', plane.name, '--agent', bo.name, '--snapshot', runs[2]![bo.name]!, '--json'], { timeoutMs: 120_000 });
    await stack.setFaults([]);
    expect(failed.code, failed.stdout).toBe(1);
    expect(json<{ error: { code: string } }>(failed).error.code).toBe('RESTORE_ROLLED_BACK');

    const safety = (await snapshotsOf(bo.name)).find((s) => s.labels[RESTORE_LABEL]);
    expect(safety).toBeTruthy();
    const disk = await bootDiskOf(bo.name);
    expect(disk?.attributes?.sourceSnapshot).toBe(safety!.name);
    const states = await stack.waitForAgents(plane.name, [bo.name], ['Ready', 'Failed'], 10_000);
    expect(states[bo.name]).toBe('Ready');
    const instance = (await stack.inventory()).find((r) => r.kind === 'compute.instances' && r.name.endsWith(`/instances/${n.instance}`));
    expect(instance?.attributes).toMatchObject({ status: 'RUNNING', serviceAccounts: [n.serviceAccountEmail], guest: { health: 'ok' } });
    expect(await agentGrants(stack.gcp(), plane, bo)).toEqual(expectedAgentGrants(plane, bo));
  });
});

describe('restore after a restore that could not fall back', () => {
  it('leaves the agent Failed without a VM (RESTORE_FAILED); restoring the safety snapshot brings it back', async () => {
    const n = agentResourceNames(plane.project, plane.name, bo.name);
    const safetiesBefore = (await snapshotsOf(bo.name)).filter((s) => s.labels[RESTORE_LABEL]).map((s) => s.name);
    // Both the restored VM and the fall-back VM are refused.
    await stack.setFaults([{ method: 'compute.instances.insert', kind: 'invalid', count: 2 }]);
    const failed = await stack.cli(['planes', 'restore', '--plane', plane.name, '--agent', bo.name, '--json'], { timeoutMs: 120_000 });
    await stack.setFaults([]);
    expect(failed.code, failed.stdout).toBe(1);
    expect(json<{ error: { code: string } }>(failed).error.code).toBe('RESTORE_FAILED');
    expect(await stack.waitForAgents(plane.name, [bo.name], ['Failed'], 10_000)).toEqual({ [bo.name]: 'Failed' });
    expect((await stack.inventory()).some((r) => r.kind === 'compute.instances' && r.name.endsWith(`/instances/${n.instance}`))).toBe(false);
    const safety = (await snapshotsOf(bo.name)).find((s) => s.labels[RESTORE_LABEL] && !safetiesBefore.includes(s.name))!;
    expect(safety).toBeTruthy();

    const back = await stack.cli(['planes', 'restore', '--plane', plane.name, '--agent', bo.name, '--snapshot', safety.name.split('/').pop()!, '--json'], { timeoutMs: 120_000 });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    // No disk to keep this time.
    expect(json<RestoreOutput>(back)).toMatchObject({ state: 'Ready', safetySnapshot: null });
    expect((await bootDiskOf(bo.name))?.attributes?.sourceSnapshot).toBe(safety.name);
    expect(await agentGrants(stack.gcp(), plane, bo)).toEqual(expectedAgentGrants(plane, bo));
  });
});

describe('bad input', () => {
  it('exits 2 naming the field, and starts and creates nothing', async () => {
    const workflows = await stack.workflowCount();
    const inventory = await stack.inventorySignature();
    const cases: [string[], string][] = [
      [['planes', 'backup', '--plane', plane.name, '--keep', '0'], '--keep'],
      [['planes', 'backup', '--plane', plane.name, '--schedule', 'every night', '--keep', '2'], '--schedule'],
      [['planes', 'backup', '--plane', plane.name, '--schedule', '0 3 * * *'], '--keep'],
      [['planes', 'backup', '--plane', plane.name, '--agent', 'nobody'], '--agent'],
      [['planes', 'restore', '--plane', plane.name, '--agent', 'ghost'], '--agent'],
      [['planes', 'restore', '--plane', plane.name, '--agent', ada.name, '--snapshot', 'no-such-snapshot'], '--snapshot'],
      [['planes', 'restore', '--plane', plane.name, '--agent', ada.name, '--snapshot', runs[3]![bo.name]!], '--snapshot'],
    ];
    // A few at a time: each is a CLI process.
    const results: CliRun[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => stack.cli([...args, '--json'])))));
    cases.forEach(([args, field], i) => {
      expect(results[i]!.code, `${args.join(' ')}: ${results[i]!.stdout}`).toBe(2);
      expect(json<{ error: { field: string } }>(results[i]!).error.field, args.join(' ')).toBe(field);
    });
    // For people: one line on stderr naming the field and the rule.
    const human = await stack.cli(['planes', 'restore', '--plane', plane.name, '--agent', ada.name, '--snapshot', 'no-such-snapshot']);
    expect(human.code).toBe(2);
    expect(human.stderr.trim()).toBe(`error: invalid --snapshot: no snapshot named no-such-snapshot of agent ${ada.name} (see \`agents-plane planes backups --plane ${plane.name}\`)`);
    expect(await stack.workflowCount()).toBe(workflows);
    expect(await stack.inventorySignature()).toBe(inventory);
  }, 120_000);
});

describe('unschedule and destroy', () => {
  it('--unschedule removes the schedule (again: nothing to do); destroy removes a schedule set again', async () => {
    const removed = await stack.cli(['planes', 'backup', '--plane', plane.name, '--unschedule', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(json<{ removed: boolean }>(removed).removed).toBe(true);
    await expect(stack.client.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const twice = await stack.cli(['planes', 'backup', '--plane', plane.name, '--unschedule', '--json']);
    expect(json<{ removed: boolean }>(twice).removed).toBe(false);

    const set = await stack.cli(['planes', 'backup', '--plane', plane.name, '--schedule', '@daily', '--keep', '3', '--json']);
    expect(set.code, set.stderr).toBe(0);
    await stack.client.schedule.getHandle(scheduleId).describe();
    const destroyed = await stack.cli(['planes', 'destroy', '--plane', plane.name, '--force', '--json'], { timeoutMs: 120_000 });
    expect(destroyed.code, destroyed.stderr).toBe(0);
    await expect(stack.client.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});
