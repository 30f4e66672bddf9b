/**
 * `planes update-agent --plane --name [profile flags]`: changes an agent's runtime profile (channels,
 * model tier, heartbeat, thinking clock, tools, budget) and follows it until the running agent reports
 * the new profile applied. Same VM: the guest re-renders OpenClaw's config and restarts the gateway.
 * Only the flags given change; the rest of the profile stays.
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { formatInterval, hasRuntimeFields, parseRuntimeProfile, type AgentRuntimeProfile } from '../../domain/runtime-profile.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { planeStatusQuery, type RosterEntry } from '../../workflows/plane-messages.js';
import { updateAgentUpdate } from '../../workflows/runtime-messages.js';
import { OperationFailedError, runCommand, table } from '../command.js';
import { runningPlane, updateError } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { addRuntimeFlags, runtimeFlags, type RuntimeFlagOptions } from './runtime-flags.js';
import { withSession } from './session.js';

interface UpdateAgentOptions extends RuntimeFlagOptions {
  plane?: string;
  name?: string;
  wait: boolean;
}

export interface UpdateAgentView {
  readonly plane: string;
  readonly name: string;
  readonly state: string;
  readonly operationId: string | null;
  readonly digest: string;
  readonly unchanged: boolean;
  readonly profile: AgentRuntimeProfile;
}

export function registerUpdateAgent(planes: Command): void {
  const command = planes
    .command('update-agent')
    .description("change an agent's runtime profile in place (same VM): channels, model tier, heartbeat, tools, budget")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name')
    .option('--no-wait', 'return once the change has started');
  addRuntimeFlags(command).action(
    runCommand<UpdateAgentOptions, UpdateAgentView>(async (o, out) => {
      const plane = parsePlaneName(o.plane);
      const name = parseAgentName(o.name);
      const runtime = runtimeFlags(o);
      if (!hasRuntimeFields(runtime)) throw new InvalidInputError('--name', 'nothing to change: give at least one profile flag (--channels, --model-tier, --heartbeat, ...)');
      // Every flag checked before anything is sent (the plane checks again over the agent's own profile).
      parseRuntimeProfile(runtime);
      return withSession(async (session) => {
        const client = await session.temporal();
        const { handle } = await runningPlane(client, plane);
        let started;
        try {
          started = await handle.executeUpdate(updateAgentUpdate, { args: [{ agent: name, runtime }] });
        } catch (error) {
          throw updateError(error);
        }
        if (started.unchanged) out.info(`agent ${name} already has this profile; nothing to do`);
        else out.info(`reconfiguring agent ${name} in place (workflow ${started.operationId})`);
        let entry: RosterEntry | undefined;
        if (o.wait && !started.unchanged) {
          const view = new ProgressView(client, out, `agent ${name}`);
          for (;;) {
            entry = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === name);
            if (!entry || entry.state !== 'Reconfiguring') break;
            await view.show(entry.operationId);
            await sleep(500);
          }
          if (!entry) throw new OperationFailedError(`agent ${name} was removed while it was being reconfigured`, 'FAILED');
          const failed = entry.runtime?.lastReconfigureError;
          if (failed) throw new OperationFailedError(`agent ${name} could not apply its new profile: ${failed.message}`, failed.type);
        }
        const result: UpdateAgentView = {
          plane,
          name,
          state: entry?.state ?? (started.unchanged ? 'Ready' : 'Reconfiguring'),
          operationId: started.unchanged ? null : started.operationId,
          digest: started.digest,
          unchanged: started.unchanged,
          profile: started.profile,
        };
        return {
          data: result,
          human: (r) =>
            table(
              ['PLANE', 'AGENT', 'STATE', 'CHANNELS', 'TIER', 'HEARTBEAT', 'BUDGET'],
              [
                [
                  r.plane,
                  r.name,
                  r.state,
                  r.profile.channels.join(',') || '-',
                  r.profile.modelTier,
                  formatInterval(r.profile.heartbeatMs),
                  r.profile.budget ? `$${r.profile.budget.capUsdPerMonth}/month, ${r.profile.budget.action}` : '-',
                ],
              ],
            ),
        };
      });
    }),
  );
}
