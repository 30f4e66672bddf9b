/**
 * Issue 4's fault matrix. A permanent failure injected at each provisioning step makes add-agent exit 1
 * with a clear message and leaves nothing of that agent; transient faults on 30% of all calls still end
 * with every agent Ready and no duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { agentResourceKeys } from './support/expectations.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import { AGENT_STEP_NAMES } from '../../src/workflows/gcp-steps.js';
import type { AgentName } from '../../src/domain/names.js';

const plane = planeFixture('faults');
let stack: E2EStack;

beforeAll(async () => {
  stack = await E2EStack.start('faults');
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** The call each step makes that a permanent fault is injected into. */
const FAULT_AT_STEP: Record<string, string> = {
  'service-account': 'iam.serviceAccounts.create',
  // After the containers exist: their undo must remove them.
  secrets: 'secretmanager.versions.add',
  'owner-service-account-user': 'iam.serviceAccounts.setIamPolicy',
  instance: 'compute.instances.insert',
  'owner-os-login': 'compute.instances.setIamPolicy',
  'owner-iap-tunnel': 'iap.tunnelInstances.setIamPolicy',
  'first-heartbeat': 'compute.instances.getGuestAttributes',
};

describe('permanent failure at each provisioning step', () => {
  it('covers every step of the saga', () => {
    expect(Object.keys(FAULT_AT_STEP)).toEqual(AGENT_STEP_NAMES);
  });

  for (const [index, step] of AGENT_STEP_NAMES.entries()) {
    it(`step ${index + 1} (${step}): exit 1, a clear message, nothing of the agent left`, async () => {
      const agent = `step${index + 1}` as AgentName;
      await stack.setFaults([{ method: FAULT_AT_STEP[step]!, kind: 'permissionDenied', count: 1000 }]);
      const r = await stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', agent, '--owner', `${agent}@example.com`]);
      await stack.setFaults([]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`error: agent ${agent} could not be provisioned: .*PERMISSION_DENIED.*everything it created was removed`));
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
      const names = (await stack.inventory()).map((x) => x.name);
      for (const key of agentResourceKeys(plane, agent)) expect(names, `${key} left behind`).not.toContain(key);
      expect(names.filter((n) => n.includes(`ap-${plane.name}-${agent}`))).toEqual([]);
    });
  }
});

describe('transient faults on 30% of calls', () => {
  it('still provisions every agent, once', async () => {
    await stack.setFaults([
      { method: '*', kind: 'unavailable', rate: 0.1 },
      { method: '*', kind: 'rateLimited', rate: 0.1 },
      { method: '*', kind: 'aborted', rate: 0.1 },
    ]);
    const agents = ['t1', 't2', 't3'] as AgentName[];
    const results = await Promise.all(
      agents.map((a) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a, '--owner', `${a}@example.com`, '--json'], { timeoutMs: 600_000 })),
    );
    const hits = await stack.faultHits();
    await stack.setFaults([]);
    expect(hits).toBeGreaterThan(10);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).state).toBe('Ready');
    }
    const names = (await stack.inventory()).map((x) => x.name);
    for (const a of agents) {
      for (const key of agentResourceKeys(plane, a)) expect(names.filter((n) => n === key), key).toHaveLength(1);
    }
    // No duplicate of any kind: every resource name appears once.
    expect(names.length).toBe(new Set(names).size);
  }, 600_000);
});

describe('a compute operation that fails after being accepted', () => {
  it('is retried under a new requestId (GCP replays a failed operation for its id) and the agent ends Ready', async () => {
    await stack.setFaults([{ method: 'compute.instances.insert', kind: 'operationError', count: 2 }]);
    const r = await stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', 'zonefull', '--owner', 'zonefull@example.com', '--json'], { timeoutMs: 300_000 });
    const hits = await stack.faultHits();
    await stack.setFaults([]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).state).toBe('Ready');
    expect(hits).toBe(2);
    const instances = (await stack.inventory()).filter((x) => x.name.endsWith(`/ap-${plane.name}-zonefull`) && x.kind === 'compute.instances');
    expect(instances).toHaveLength(1);
  }, 300_000);
});
