/**
 * Issue 4: the worker is killed with SIGKILL at random moments, several times, while agents provision.
 * Every agent still ends Ready, with no duplicate and no orphaned resource.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { agentResourceKeys, planeResourceKeys } from './support/expectations.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import type { AgentName } from '../../src/domain/names.js';

const plane = planeFixture('kill');
let stack: E2EStack;

beforeAll(async () => {
  // Slower latencies than the other suites so that kills land inside provisioning steps.
  stack = await E2EStack.start('kill', { latencyScale: 0.02 });
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** A small seeded generator, so a failing run can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('worker killed during provisioning', () => {
  it('ends with every agent Ready, no duplicate, no orphan', async () => {
    const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
    const rnd = random(seed);
    const agents = ['k1', 'k2'] as AgentName[];
    for (const a of agents) {
      const r = await stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', a, '--owner', `${a}@example.com`, '--no-wait', '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
    const kills = 3;
    for (let k = 0; k < kills; k++) {
      await new Promise((r) => setTimeout(r, 300 + rnd() * 1500));
      await stack.killWorker();
      await new Promise((r) => setTimeout(r, 200 + rnd() * 500));
      await stack.startWorker();
    }
    const states = await stack.waitForAgents(plane.name, agents, ['Ready', 'Failed'], 240_000);
    expect(states, `seed ${seed}`).toEqual(Object.fromEntries(agents.map((a) => [a, 'Ready'])));

    const names = (await stack.inventory()).map((x) => x.name);
    const expected = [...planeResourceKeys(plane), ...agents.flatMap((a) => agentResourceKeys(plane, a))];
    const ours = names.filter((n) => n.includes(`ap-${plane.name}-`) && !n.includes('iap_tunnel'));
    expect(new Set(ours), `seed ${seed}`).toEqual(new Set(expected));
    expect(ours.length, `duplicates (seed ${seed})`).toBe(new Set(ours).size);
    const status = json<{ planes: { agents: { name: string; state: string }[] }[] }>(await stack.cli(['planes', 'status', '--plane', plane.name, '--json']));
    expect(status.planes[0]!.agents.map((a) => a.state)).toEqual(['Ready', 'Ready']);
  }, 300_000);
});
