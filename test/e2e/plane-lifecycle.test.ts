/**
 * Issue 4, end to end: CLI → Temporal (real dev server) → worker (child process) → emulator, through the
 * official Google clients. A plane with three agents reaches Ready with exactly the resources of design
 * §4 and the isolation invariants; a secret set by the owner never shows up in Temporal or the logs;
 * removing an agent leaves nothing of it; destroying the plane leaves nothing at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { agentGrants, agentResourceKeys, expectedAgentGrants, planeResourceKeys, type AgentFixture } from './support/expectations.js';
import { E2EStack, plane as planeFixture, agent as agentFixture } from './support/stack.js';
import { agentResourceNames, planeResourceNames } from '../../src/domain/resource-names.js';

const plane = planeFixture('life');
const agents: AgentFixture[] = [agentFixture('alice', 'alice@example.com'), agentFixture('bob', 'bob@example.com'), agentFixture('carol', 'carol@example.org')];
const SECRET_VALUE = 'sk-ant-SUPER-SECRET-canary-7f3a9c';

let stack: E2EStack;

beforeAll(async () => {
  stack = await E2EStack.start('life');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('plane lifecycle', () => {
  it('creates a plane and provisions three agents to Ready', async () => {
    const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(json(created).phase).toBe('Ready');

    const results = await Promise.all(
      agents.map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a.name, '--owner', a.owner, '--vm-type', 'e2-small', '--json'])),
    );
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).state).toBe('Ready');
    }

    const status = json<{ planes: { name: string; totals: { agents: number; ready: number; monthlyCostUsd: number }; agents: { name: string; owner: string; state: string; heartbeatAgeSeconds: number | null; agentVersion: string; vmType: string; monthlyCostUsd: number }[] }[] }>(
      await stack.cli(['planes', 'status', '--plane', plane.name, '--json']),
    );
    const view = status.planes[0]!;
    expect(view.totals).toMatchObject({ agents: 3, ready: 3 });
    expect(view.totals.monthlyCostUsd).toBeGreaterThan(0);
    for (const a of agents) {
      const row = view.agents.find((r) => r.name === a.name)!;
      expect(row).toMatchObject({ owner: a.owner, state: 'Ready', vmType: 'e2-small' });
      expect(row.heartbeatAgeSeconds).not.toBeNull();
      expect(row.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it('holds exactly the resources of design §4', async () => {
    const names = (await stack.inventory()).map((r) => r.name);
    const expected = [...planeResourceKeys(plane), ...agents.flatMap((a) => agentResourceKeys(plane, a.name))];
    for (const key of expected) expect(names, `missing ${key}`).toContain(key);
    // Nothing else of ours: every labelled or named resource belongs to the expected set.
    const ours = names.filter((n) => n.includes(`ap-${plane.name}-`) || n.includes(`/ap-${plane.name}`));
    expect(new Set(ours.filter((n) => !n.includes('iap_tunnel')))).toEqual(new Set(expected));
  });

  it('isolates every agent from every other', async () => {
    const gcp = stack.gcp();
    for (const a of agents) {
      expect(await agentGrants(gcp, plane, a)).toEqual(expectedAgentGrants(plane, a));
      const n = agentResourceNames(plane.project, plane.name, a.name);
      const [vm] = await gcp.instances.get({ project: plane.project, zone: plane.zone, instance: n.instance });
      expect(vm.serviceAccounts?.map((s) => s.email)).toEqual([n.serviceAccountEmail]);
      for (const nic of vm.networkInterfaces ?? []) expect(nic.accessConfigs ?? []).toEqual([]);
      expect(vm.shieldedInstanceConfig?.enableSecureBoot).toBe(true);
      const meta = Object.fromEntries((vm.metadata?.items ?? []).map((i) => [i.key, i.value]));
      expect(meta['enable-oslogin']).toBe('TRUE');
    }
    const f = planeResourceNames(plane.name);
    const [ingress] = await gcp.firewalls.get({ project: plane.project, firewall: f.firewallDenyIngress });
    const [egress] = await gcp.firewalls.get({ project: plane.project, firewall: f.firewallDenyEgress });
    const [ssh] = await gcp.firewalls.get({ project: plane.project, firewall: f.firewallAllowIapSsh });
    expect(ingress).toMatchObject({ direction: 'INGRESS', priority: 900 });
    expect(ingress.denied?.[0]?.IPProtocol).toBe('all');
    expect(egress).toMatchObject({ direction: 'EGRESS', priority: 900 });
    expect(ssh).toMatchObject({ direction: 'INGRESS', priority: 1000, sourceRanges: ['35.235.240.0/20'] });
    expect(ssh.allowed).toEqual([expect.objectContaining({ IPProtocol: 'tcp', ports: ['22'] })]);
    // No per-person grant on the project policy.
    const [projectPolicy] = await gcp.projects.getIamPolicy({ resource: `projects/${plane.project}` });
    const members = (projectPolicy.bindings ?? []).flatMap((b) => b.members ?? []);
    for (const a of agents) expect(members.join(' ')).not.toContain(a.owner);
  });

  it('writes an owner secret straight to Secret Manager and never into Temporal or logs', async () => {
    const set = await stack.cli(['planes', 'secrets', 'set', '--plane', plane.name, '--agent', 'alice', '--key', 'ANTHROPIC_API_KEY', '--json'], {
      input: `${SECRET_VALUE}\n`,
    });
    expect(set.code, set.stderr).toBe(0);
    expect(json(set).version).toBe('1');
    expect(set.stdout + set.stderr).not.toContain(SECRET_VALUE);
    const logs = await stack.cli(['planes', 'logs', '--plane', plane.name, '--name', 'alice']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.length).toBeGreaterThan(0);
    await stack.expectNoSecretAnywhere(SECRET_VALUE);
  });

  it('removes one agent completely', async () => {
    const removed = await stack.cli(['planes', 'remove-agent', '--plane', plane.name, '--name', 'bob', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    const names = (await stack.inventory()).map((r) => r.name);
    for (const key of agentResourceKeys(plane, 'bob' as AgentFixture['name'])) expect(names).not.toContain(key);
    for (const key of agentResourceKeys(plane, 'alice' as AgentFixture['name'])) expect(names).toContain(key);
  });

  it('destroys the plane and leaves the inventory empty', async () => {
    const destroyed = await stack.cli(['planes', 'destroy', '--plane', plane.name, '--force', '--json']);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(await stack.ourResources()).toEqual([]);
    const list = json<{ planes: { name: string }[] }>(await stack.cli(['planes', 'list', '--json']));
    expect(list.planes.map((p) => p.name)).not.toContain(plane.name);
    // The entity carried its roster across continue-as-new (the test server suggests it after 40 events).
    const { count: runs } = await stack.client.workflow.count(`WorkflowId = 'plane/${plane.name}'`);
    expect(runs).toBeGreaterThan(1);
  });
});
