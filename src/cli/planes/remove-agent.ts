/**
 * `planes remove-agent --plane --name`: tears the agent down (design §4 in reverse) and follows it until
 * nothing of it is left. An agent still provisioning is cancelled first; its undos run, then teardown.
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { planeStatusQuery, removeAgentUpdate, type RosterEntry } from '../../workflows/plane-messages.js';
import { OperationFailedError, runCommand } from '../command.js';
import { runningPlane, updateError } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { withSession } from './session.js';

interface RemoveOptions {
  plane?: string;
  name?: string;
  wait: boolean;
}

export function registerRemoveAgent(planes: Command): void {
  planes
    .command('remove-agent')
    .description("remove an agent: its VM, disk, secrets, service account and its owner's grants")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name')
    .option('--no-wait', 'return once removal has started')
    .action(
      runCommand<RemoveOptions, { plane: string; name: string; state: string }>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const name = parseAgentName(o.name);
        return withSession(async (session) => {
          const client = await session.temporal();
          const { handle } = await runningPlane(client, plane);
          let started;
          try {
            started = await handle.executeUpdate(removeAgentUpdate, { args: [name] });
          } catch (error) {
            throw updateError(error);
          }
          if (started.state === 'Absent') {
            out.info(`agent ${name} is not in plane ${plane}; nothing to remove`);
            return { data: { plane, name, state: 'Absent' } };
          }
          out.info(`removing agent ${name}`);
          let entry: RosterEntry | undefined;
          if (o.wait) {
            const view = new ProgressView(client, out, `agent ${name}`);
            for (;;) {
              entry = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === name);
              if (!entry || entry.state === 'Failed') break;
              await view.show(entry.operationId);
              await sleep(500);
            }
            if (entry) {
              throw new OperationFailedError(
                `agent ${name} could not be removed: ${entry.lastError?.message ?? 'unknown error'}; run remove-agent again to retry`,
                entry.lastError?.type ?? 'FAILED',
              );
            }
          }
          return {
            data: { plane, name, state: entry ? entry.state : o.wait ? 'Removed' : 'Removing' },
            human: (d) => `agent ${d.name}: ${d.state}`,
          };
        });
      }),
    );
}
