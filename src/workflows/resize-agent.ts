/**
 * resizeAgent — an agent's VM moved to another machine type, in place (id
 * `agent/<plane>/<agent>/resize/<n>`, started by the plane entity, which shows the agent as Resizing
 * meanwhile). Same instance, same boot disk, same identity: compute changes the type of a stopped VM only.
 *   1. stop-vm: the VM stopped (already TERMINATED is done)   undo: start it, healthy heartbeat
 *   2. set-machine-type: the new type (already on it is done)  undo: stop it, the old type back
 *   3. start-vm: the VM running on the new type
 *   4. healthy-heartbeat: the agent reports healthy on its version since the start
 * A failure after step 1 undoes newest first, so the agent is never left stopped: it runs again on its old
 * type (RESIZE_ROLLED_BACK: the entity keeps it Ready on its old spec) unless that fails too
 * (RESIZE_FAILED: the entity marks it Unhealthy for an admin).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { MachineType } from '../domain/names.js';
import { boot, compute } from './activity-policies.js';
import type { AgentOperationInput } from './agent-operations.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { RESIZE_FAILED, RESIZE_ROLLED_BACK } from './resize-messages.js';
import { describeFailure, runSaga, type SagaStep } from './saga.js';

export interface ResizeAgentInput extends AgentOperationInput {
  /** The type it moves to; `agent.machineType` is the one it has (and goes back to on failure). */
  readonly machineType: MachineType;
}

/** What the undos achieved: the agent runs on its old type again only when both hold. */
interface Rollback {
  oldTypeBack: boolean;
  runningAgain: boolean;
}

function resizeSteps(input: ResizeAgentInput, rollback: Rollback): SagaStep[] {
  const from = input.agent.machineType;
  let since = 0;
  /** Started (at `since`), the agent must report healthy on its version in time. */
  const healthy = (startedAt: number) => boot.waitForHealthyHeartbeat(input, input.agent.agentVersion, startedAt, startedAt + input.healthTimeoutMs);
  return [
    {
      name: 'stop-vm',
      run: () => compute.stopAgentInstance(input),
      undo: async () => {
        await healthy(await compute.startAgentInstance(input, 'undo-start-instance'));
        rollback.runningAgain = true;
      },
    },
    {
      name: 'set-machine-type',
      run: async () => {
        rollback.oldTypeBack = false;
        await compute.setAgentMachineType(input, input.machineType);
      },
      undo: async () => {
        await compute.stopAgentInstance(input, 'undo-stop-instance');
        await compute.setAgentMachineType(input, from);
        rollback.oldTypeBack = true;
      },
    },
    { name: 'start-vm', run: async () => (since = await compute.startAgentInstance(input)) },
    { name: 'healthy-heartbeat', run: () => healthy(since) },
  ];
}

export const RESIZE_STEP_NAMES = resizeSteps({ agent: {} } as ResizeAgentInput, { oldTypeBack: true, runningAgain: false }).map((s) => s.name);

export async function resizeAgent(input: ResizeAgentInput): Promise<void> {
  const progress = new ProgressTracker('resize-agent', RESIZE_STEP_NAMES);
  const rollback: Rollback = { oldTypeBack: true, runningAgain: false };
  await reportToPlane(input, 'resize', async () => {
    try {
      await runSaga(resizeSteps(input, rollback), progress);
    } catch (error) {
      const failure = describeFailure(error);
      const what = `resize of ${input.agent.name} from ${input.agent.machineType} to ${input.machineType} failed (${failure.type}: ${failure.message})`;
      const back = rollback.oldTypeBack && rollback.runningAgain;
      throw ApplicationFailure.nonRetryable(
        back
          ? `${what}; it was rolled back: the agent runs healthy on ${input.agent.machineType} again`
          : `${what}, and so did putting it back; see \`agents-plane planes status\` and \`planes logs\`, then \`planes restart-agent\` or resize again`,
        back ? RESIZE_ROLLED_BACK : RESIZE_FAILED,
      );
    }
  });
}
