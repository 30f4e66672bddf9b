/**
 * `planes destroy --plane [--force]`: removes every agent, then the plane's network, and verifies that
 * nothing is left. Destructive, so it needs --force (or a yes at a terminal prompt).
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parsePlaneName } from '../../domain/names.js';
import { destroyPlaneUpdate, planeStatusQuery } from '../../workflows/plane-messages.js';
import { OperationFailedError, runCommand } from '../command.js';
import { deleteBackupSchedule } from './backup-schedule.js';
import { runningPlane, updateError } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { withSession } from './session.js';
import { deleteUpgradeWindow } from './upgrade-window.js';

interface DestroyOptions {
  plane?: string;
  force?: boolean;
  wait: boolean;
}

export async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerDestroy(planes: Command): void {
  planes
    .command('destroy')
    .description('remove every agent of a plane, then the plane itself')
    .requiredOption('--plane <plane>', 'plane name')
    .option('--force', 'do not ask for confirmation')
    .option('--no-wait', 'return once destruction has started')
    .action(
      runCommand<DestroyOptions, { plane: string; phase: string }>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        return withSession(async (session) => {
          const client = await session.temporal();
          const { handle, status } = await runningPlane(client, plane);
          if (!o.force) {
            const ok = !out.json && (await confirmed(`destroy plane ${plane} and its ${status.agents.length} agent(s)? [y/N] `));
            if (!ok) throw new InvalidInputError('--force', `destroying plane ${plane} needs --force (or a yes at a terminal)`);
          }
          try {
            await handle.executeUpdate(destroyPlaneUpdate);
          } catch (error) {
            throw updateError(error);
          }
          out.info(`destroying plane ${plane}`);
          // Its upgrade window goes with it: once the entity has ended, a firing could only fail.
          if (await deleteUpgradeWindow(client, plane)) out.info(`removed the upgrade window of plane ${plane}`);
          // Its scheduled backups would have nothing left to back up.
          if (await deleteBackupSchedule(client, plane)) out.info(`removed the backup schedule of plane ${plane}`);
          if (!o.wait) return { data: { plane, phase: 'Destroying' } };
          const view = new ProgressView(client, out, `plane ${plane}`);
          for (;;) {
            const d = await handle.describe();
            if (d.status.name !== 'RUNNING') {
              if (d.status.name !== 'COMPLETED') throw new OperationFailedError(`destroying plane ${plane} ended ${d.status.name}`);
              break;
            }
            const s = await handle.query(planeStatusQuery);
            const failed = s.agents.filter((a) => a.state === 'Failed');
            if (failed.length > 0 && failed.length === s.agents.length) {
              throw new OperationFailedError(
                `plane ${plane} cannot be destroyed: removing ${failed.map((a) => a.spec.name).join(', ')} failed (${failed[0]?.lastError?.message ?? 'unknown'}); run remove-agent for them, then destroy again`,
              );
            }
            if (s.agents.length > 0) out.progress(`plane ${plane}: removing ${s.agents.length} agent(s)`);
            else await view.show(s.operationId);
            await sleep(500);
          }
          return { data: { plane, phase: 'Destroyed' }, human: (d) => `plane ${d.plane}: ${d.phase}` };
        });
      }),
    );
}
