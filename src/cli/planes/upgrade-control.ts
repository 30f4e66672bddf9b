/**
 * `planes upgrade-control --plane (--pause | --resume | --abort)`: steers the plane's running upgrade.
 * Pause takes effect before the next group of agents (the running group finishes); abort halts it and
 * rolls the touched agents back.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parsePlaneName } from '../../domain/names.js';
import {
  abortUpgradeUpdate,
  activeUpgradeQuery,
  pauseUpgradeUpdate,
  resumeUpgradeUpdate,
} from '../../workflows/upgrade-messages.js';
import { OperationFailedError, runCommand } from '../command.js';
import { runningPlane } from './plane-handle.js';
import { formatUpgrade } from './upgrade.js';
import { withSession } from './session.js';

interface ControlOptions {
  plane?: string;
  pause?: boolean;
  resume?: boolean;
  abort?: boolean;
}

const UPDATES = { pause: pauseUpgradeUpdate, resume: resumeUpgradeUpdate, abort: abortUpgradeUpdate } as const;

export function registerUpgradeControl(planes: Command): void {
  planes
    .command('upgrade-control')
    .description("pause, resume or abort a plane's running upgrade (abort rolls the touched agents back)")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--pause', 'stop before the next group of agents')
    .option('--resume', 'continue a paused upgrade')
    .option('--abort', 'halt and roll back every agent the upgrade touched')
    .action(
      runCommand<ControlOptions, { plane: string; workflowId: string; action: string; paused: boolean; aborted: boolean }>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const actions = (['pause', 'resume', 'abort'] as const).filter((a) => o[a]);
        if (actions.length !== 1) throw new InvalidInputError('--pause/--resume/--abort', 'give exactly one of them');
        const action = actions[0]!;
        return withSession(async (session) => {
          const client = await session.temporal();
          const { handle } = await runningPlane(client, plane);
          const { workflowId } = await handle.query(activeUpgradeQuery);
          if (!workflowId) throw new OperationFailedError(`no upgrade is running on plane ${plane}`, 'NO_UPGRADE_RUNNING');
          let progress;
          try {
            progress = await client.workflow.getHandle(workflowId).executeUpdate(UPDATES[action]);
          } catch (error) {
            if (error instanceof WorkflowUpdateFailedError) throw new OperationFailedError(`${workflowId}: ${error.cause?.message ?? error.message}`, 'UPGRADE_FINISHED');
            throw error;
          }
          out.info(formatUpgrade(progress));
          return {
            data: { plane, workflowId, action, paused: progress.paused, aborted: progress.aborted },
            human: (d) => `upgrade ${d.workflowId}: ${d.action} ${d.action === 'abort' ? 'requested; the touched agents are rolled back' : 'done'}`,
          };
        });
      }),
    );
}
