/**
 * Issue 8, `planes update-agent --agent-version`, end to end (real CLI → Temporal dev server → worker
 * process → emulator with its guest simulator) on a plane of 2 agents:
 * - bad input (a malformed version, an unknown agent, a bad health timeout): exit 2, one line naming
 *   the flag, no upgrade started;
 * - a good version: a one-agent rolling upgrade (snapshot, health-gated); the agent's guest reports the
 *   new version on the same VM, the other agent and the plane's own version are untouched; the same
 *   version again starts nothing;
 * - a version the emulator's guests fail on: exit 1 with the rollback reason, the agent back on its
 *   previous version and healthy;
 * - a profile flag with a version: the profile is applied first, then the version; `--no-wait` returns
 *   the upgrade's workflow id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import type { AgentName } from '../../src/domain/names.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { DEFAULT_AGENT_VERSION } from '../../src/domain/versions.js';
import { GUEST_NAMESPACE } from '../../src/domain/guest-contract.js';
import { planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { planeStatusQuery } from '../../src/workflows/plane-messages.js';
import { upgradeProgressQuery, type UpgradeProgress } from '../../src/workflows/upgrade-messages.js';
import { expectBadInput } from './support/bad-input.js';

const plane = planeFixture('agv');
const A = 'ava' as AgentName;
const B = 'avb' as AgentName;
const OLD = DEFAULT_AGENT_VERSION as string;
const GOOD = '2026.10.2';
const BAD = '2026.10.1-broken';
const WITH_PROFILE = '2026.11.0';
const NO_WAIT = '2026.12.0';

let stack: E2EStack;

interface VersionChange {
  fromVersion: string;
  toVersion: string;
  unchanged: boolean;
  workflowId: string | null;
  state: string;
}
interface UpdateAgentJson {
  name: string;
  state: string;
  unchanged: boolean;
  profile: { heartbeatMs: number };
  agentVersion: VersionChange | null;
}

async function guest(a: AgentName): Promise<{ id: string; version?: string; health?: string }> {
  const gcp = stack.gcp();
  const instance = agentResourceNames(plane.project, plane.name, a).instance;
  const [vm] = await gcp.instances.get({ project: plane.project, zone: plane.zone, instance });
  const [attrs] = await gcp.instances.getGuestAttributes({ project: plane.project, zone: plane.zone, instance, queryPath: `${GUEST_NAMESPACE}/` });
  const value = (key: string) => attrs.queryValue?.items?.find((i) => i.key === key)?.value ?? undefined;
  return { id: String(vm.id), version: value('version'), health: value('health') };
}

async function planeStatus() {
  return stack.client.workflow.getHandle(planeWorkflowId(plane.name)).query(planeStatusQuery);
}

async function desiredVersion(a: AgentName): Promise<string | undefined> {
  return (await planeStatus()).agents.find((e) => e.spec.name === a)?.spec.agentVersion;
}

async function upgradeWorkflows(): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}' AND WorkflowId STARTS_WITH 'upgrade/${plane.name}/'` })) ids.push(w.workflowId);
  return ids.sort();
}

async function progressOf(workflowId: string): Promise<UpgradeProgress> {
  return stack.client.workflow.getHandle(workflowId).query(upgradeProgressQuery);
}

const updateAgent = (a: AgentName, ...extra: string[]) => stack.cli(['planes', 'update-agent', '--plane', plane.name, '--name', a, ...extra]);

beforeAll(async () => {
  stack = await E2EStack.start('agv', { latencyScale: 0.005 });
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--boot-timeout', '30s', '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await Promise.all(
    [A, B].map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a, '--owner', `${a}@example.com`, '--no-wait', '--json'])),
  );
  for (const r of added) expect(r.code, r.stderr).toBe(0);
  const states = await stack.waitForAgents(plane.name, [A, B], ['Ready', 'Failed'], 120_000);
  expect(states).toEqual({ [A]: 'Ready', [B]: 'Ready' });
  await stack.emulator.admin('guest', { failingVersions: [BAD] });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('update-agent --agent-version', { timeout: 120_000 }, () => {
  it('refuses a bad version, an unknown agent or a bad health timeout with exit 2, starting nothing', async () => {
    const runs = await Promise.all([
      updateAgent(A, '--agent-version', 'latest').then((r) => ({ r, field: '--agent-version' })),
      updateAgent(A, '--agent-version', '2026.10').then((r) => ({ r, field: '--agent-version' })),
      updateAgent(A, '--agent-version', GOOD, '--health-timeout', 'soon').then((r) => ({ r, field: '--health-timeout' })),
      updateAgent('nobody' as AgentName, '--agent-version', GOOD).then((r) => ({ r, field: '--name' })),
    ]);
    for (const { r, field } of runs) expectBadInput(r, field);
    expect(await upgradeWorkflows()).toEqual([]);
    expect(await desiredVersion(A)).toBe(OLD);
  });

  it('moves one agent to a good version on the same VM; the other agent and the plane keep theirs', async () => {
    const [a0, b0] = await Promise.all([guest(A), guest(B)]);
    expect(a0).toMatchObject({ version: OLD, health: 'ok' });

    const r = await updateAgent(A, '--agent-version', GOOD, '--health-timeout', '60s', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const workflowId = `upgrade/${plane.name}/1`;
    expect(json<UpdateAgentJson>(r)).toMatchObject({
      name: A,
      state: 'Ready',
      agentVersion: { fromVersion: OLD, toVersion: GOOD, unchanged: false, workflowId, state: 'completed' },
    });

    const [a1, b1] = await Promise.all([guest(A), guest(B)]);
    expect(a1).toEqual({ id: a0.id, version: GOOD, health: 'ok' });
    expect(b1).toEqual(b0);
    const p = await progressOf(workflowId);
    expect(p.agents.map((x) => [x.name, x.state])).toEqual([[A, 'upgraded']]);
    expect(p.agents[0]!.snapshot).toBeTruthy();
    const status = await planeStatus();
    expect(status.spec.agentVersion).toBe(OLD);
    expect(Object.fromEntries(status.agents.map((e) => [e.spec.name, [e.state, e.spec.agentVersion]]))).toEqual({ [A]: ['Ready', GOOD], [B]: ['Ready', OLD] });

    // The same version again: nothing started, and it says so.
    const again = await updateAgent(A, '--agent-version', GOOD, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(json<UpdateAgentJson>(again).agentVersion).toEqual({ fromVersion: GOOD, toVersion: GOOD, unchanged: true, workflowId: null, state: 'unchanged' });
    const said = await updateAgent(A, '--agent-version', GOOD);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stderr).toContain(`agent ${A} already runs ${GOOD}; no upgrade started`);
    expect(await upgradeWorkflows()).toEqual([workflowId]);
  });

  it('rolls the agent back to its previous version when the new one fails its health check: exit 1 with the reason', async () => {
    const a0 = await guest(A);
    const r = await updateAgent(A, '--agent-version', BAD, '--health-timeout', '3s', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const error = json<{ error: { code: string; message: string } }>(r).error;
    expect(error.code).toBe('UPGRADE_HALTED');
    expect(error.message).toContain('rolled back to their previous version');

    const p = await progressOf(`upgrade/${plane.name}/2`);
    expect(p).toMatchObject({ halted: true, rolledBack: true, toVersion: BAD });
    expect(p.agents.map((x) => [x.name, x.state])).toEqual([[A, 'rolled-back']]);
    expect(await guest(A)).toEqual({ id: a0.id, version: GOOD, health: 'ok' });
    expect(await guest(B)).toMatchObject({ version: OLD, health: 'ok' });
    const status = await planeStatus();
    expect(status.spec.agentVersion).toBe(OLD);
    expect(Object.fromEntries(status.agents.map((e) => [e.spec.name, [e.state, e.spec.agentVersion]]))).toEqual({ [A]: ['Ready', GOOD], [B]: ['Ready', OLD] });
  });

  it('applies a profile flag first, then the version; --no-wait returns the upgrade workflow id', async () => {
    const r = await updateAgent(B, '--heartbeat', '10m', '--agent-version', WITH_PROFILE, '--health-timeout', '60s', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const body = json<UpdateAgentJson>(r);
    expect(body).toMatchObject({ state: 'Ready', unchanged: false, profile: { heartbeatMs: 600_000 } });
    expect(body.agentVersion).toMatchObject({ fromVersion: OLD, toVersion: WITH_PROFILE, state: 'completed', workflowId: `upgrade/${plane.name}/3` });
    // The profile's reconfiguration had ended before the upgrade started.
    const reconfigured = await stack.client.workflow.getHandle(`agent/${plane.name}/${B}/reconfigure/1`).describe();
    const upgraded = await stack.client.workflow.getHandle(`upgrade/${plane.name}/3`).describe();
    expect(reconfigured.status.name).toBe('COMPLETED');
    expect(reconfigured.closeTime!.getTime()).toBeLessThanOrEqual(upgraded.startTime.getTime());
    expect(await guest(B)).toMatchObject({ version: WITH_PROFILE, health: 'ok' });

    const started = await updateAgent(B, '--agent-version', NO_WAIT, '--health-timeout', '60s', '--no-wait', '--json');
    expect(started.code, started.stderr).toBe(0);
    const workflowId = `upgrade/${plane.name}/4`;
    expect(json<UpdateAgentJson>(started).agentVersion).toEqual({ fromVersion: WITH_PROFILE, toVersion: NO_WAIT, unchanged: false, workflowId, state: 'running' });
    const final = await stack.client.workflow.getHandle(workflowId).result();
    expect(final).toMatchObject({ state: 'completed', toVersion: NO_WAIT });
    expect(await guest(B)).toMatchObject({ version: NO_WAIT, health: 'ok' });
    expect(await desiredVersion(B)).toBe(NO_WAIT);
    expect(await desiredVersion(A)).toBe(GOOD);
  });
});
