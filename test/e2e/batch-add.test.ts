/**
 * The plane entity's addAgents Update (a fleet in one Update, as `planes apply` and the benchmark send
 * it): every agent of a valid batch is provisioned to Ready, an agent already there is joined, and one
 * bad request refuses the whole batch naming its index, with nothing started or created.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentName, MachineType, OwnerEmail } from '../../src/domain/names.js';
import type { AgentRequest } from '../../src/domain/specs.js';
import { agentProvisionWorkflowId, planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { addAgentsUpdate } from '../../src/workflows/plane-messages.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';

const plane = planeFixture('batch');
let stack: E2EStack;

const request = (name: string, owner = `${name}@example.com`): AgentRequest => ({
  plane: plane.name,
  name: name as AgentName,
  owner: owner as OwnerEmail,
  machineType: 'e2-small' as MachineType,
});

beforeAll(async () => {
  stack = await E2EStack.start('batch');
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('addAgents: many agents in one Update', () => {
  const entity = () => stack.client.workflow.getHandle(planeWorkflowId(plane.name));

  it('provisions every agent of the batch to Ready', async () => {
    const names = ['ann', 'ben', 'cai', 'dee'];
    const results = await entity().executeUpdate(addAgentsUpdate, { args: [names.map((n) => request(n))] });
    expect(results.map((r) => [r.joined, r.state, r.operationId])).toEqual(names.map((n) => [false, 'Provisioning', `agent/${plane.name}/${n}/provision`]));
    const states = await stack.waitForAgents(plane.name, names as AgentName[], ['Ready', 'Failed'], 120_000);
    expect(states).toEqual(Object.fromEntries(names.map((n) => [n, 'Ready'])));
  }, 150_000);

  it('joins an agent already in the roster', async () => {
    const [again] = await entity().executeUpdate(addAgentsUpdate, { args: [[request('ann')]] });
    expect(again).toMatchObject({ joined: true, state: 'Ready' });
  });

  it.each([
    { what: 'a bad owner', batch: [request('eve'), request('fay', 'not-an-email')], field: 'agents[1] --owner' },
    { what: 'a name twice', batch: [request('eve'), request('eve')], field: 'agents[1] --name' },
    { what: 'another owner for an existing agent', batch: [request('eve'), request('ben', 'mallory@example.com')], field: 'agents[1] --name' },
    { what: 'an empty batch', batch: [], field: 'agents' },
  ])('refuses the whole batch for $what, naming the index, and starts nothing', async ({ batch, field }) => {
    const workflowsBefore = await stack.workflowCount();
    const inventoryBefore = await stack.inventorySignature();
    const error = await entity()
      .executeUpdate(addAgentsUpdate, { args: [batch] })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const failure = (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('INVALID_INPUT');
    expect(failure.details?.[0]).toMatchObject({ field });
    expect(await stack.workflowCount()).toBe(workflowsBefore);
    for (const name of ['eve', 'fay']) {
      const started = await stack.client.workflow.getHandle(agentProvisionWorkflowId(plane.name, name as AgentName)).describe().then(() => true, () => false);
      expect(started, `${name}'s provisioning`).toBe(false);
    }
    expect(await stack.inventorySignature()).toBe(inventoryBefore);
  });
});
