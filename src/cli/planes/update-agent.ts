/**
 * `planes update-agent --plane --name [profile flags] [--agent-version V]`: changes an agent's runtime
 * profile (channels, model tier, heartbeat, thinking clock, tools, budget) and follows it until the
 * running agent reports the new profile applied. Same VM: the guest re-renders OpenClaw's config and
 * restarts the gateway. Only the flags given change; the rest of the profile stays. `--agent-version`
 * then moves the agent to another OpenClaw version through a one-agent rolling upgrade (agent-version.ts).
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { effectiveRuntimeProfile, formatInterval, hasRuntimeFields, parseRuntimeProfile, type AgentRuntimeProfile } from '../../domain/runtime-profile.js';
import { renderRuntime } from '../../domain/runtime-metadata.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { planeStatusQuery, type RosterEntry } from '../../workflows/plane-messages.js';
import { updateAgentUpdate } from '../../workflows/runtime-messages.js';
import { OperationFailedError, runCommand, table } from '../command.js';
import { runningPlane, updateError } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { addRuntimeFlags, runtimeFlags, type RuntimeFlagOptions } from './runtime-flags.js';
import { withSession } from './session.js';
import { agentVersionRequest, changeAgentVersion, type AgentVersionChange, type AgentVersionFlags } from './agent-version.js';

interface UpdateAgentOptions extends RuntimeFlagOptions, AgentVersionFlags {
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
  /** With --agent-version: the version change (null without it). */
  readonly agentVersion: AgentVersionChange | null;
}

/** The agent's version after the change, or the change in flight (--no-wait). */
function versionCell(v: AgentVersionChange | null): string {
  if (!v) return '-';
  return v.state === 'running' ? `${v.fromVersion} -> ${v.toVersion} (running)` : v.toVersion;
}

export function registerUpdateAgent(planes: Command): void {
  const command = planes
    .command('update-agent')
    .description("change an agent's runtime profile in place (same VM): channels, model tier, heartbeat, tools, budget")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name')
    .option('--no-wait', 'return once the change has started')
    .option('--agent-version <version>', 'move the agent to this OpenClaw version: a one-agent rolling upgrade (snapshot, health-gated, rolled back on failure)')
    .option('--health-timeout <duration>', 'with --agent-version: how long the agent may take to report the new version healthy', '10m');
  addRuntimeFlags(command).action(
    runCommand<UpdateAgentOptions, UpdateAgentView>(async (o, out) => {
      const plane = parsePlaneName(o.plane);
      const name = parseAgentName(o.name);
      const runtime = runtimeFlags(o);
      const versionRequest = agentVersionRequest(name, o);
      const profileChange = hasRuntimeFields(runtime);
      if (!profileChange && !versionRequest) {
        throw new InvalidInputError('--name', 'nothing to change: give at least one profile flag (--channels, --model-tier, --heartbeat, ...) or --agent-version');
      }
      // Every flag checked before anything is sent (the plane checks again over the agent's own profile).
      parseRuntimeProfile(runtime);
      return withSession(async (session) => {
        const client = await session.temporal();
        const { handle, status } = await runningPlane(client, plane);
        const human = (r: UpdateAgentView) =>
          table(
            ['PLANE', 'AGENT', 'STATE', 'VERSION', 'CHANNELS', 'TIER', 'HEARTBEAT', 'BUDGET'],
            [
              [
                r.plane,
                r.name,
                r.state,
                versionCell(r.agentVersion),
                r.profile.channels.join(',') || '-',
                r.profile.modelTier,
                formatInterval(r.profile.heartbeatMs),
                r.profile.budget ? `$${r.profile.budget.capUsdPerMonth}/month, ${r.profile.budget.action}` : '-',
              ],
            ],
          );
        if (!profileChange && versionRequest) {
          // The version alone: the profile is shown as it stands.
          const current = status.agents.find((a) => a.spec.name === name);
          if (!current) throw new InvalidInputError('--name', `no agent named ${name} in plane ${plane}`);
          const agentVersion = await changeAgentVersion(client, handle, name, versionRequest, o.wait, out);
          const profile = effectiveRuntimeProfile(current.spec.runtime);
          const after = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === name);
          const data: UpdateAgentView = {
            plane,
            name,
            state: after?.state ?? current.state,
            operationId: null,
            digest: renderRuntime(profile).digest,
            unchanged: true,
            profile,
            agentVersion,
          };
          return { data, human };
        }
        let started;
        try {
          started = await handle.executeUpdate(updateAgentUpdate, { args: [{ agent: name, runtime }] });
        } catch (error) {
          throw updateError(error);
        }
        if (started.unchanged) out.info(`agent ${name} already has this profile; nothing to do`);
        else out.info(`reconfiguring agent ${name} in place (workflow ${started.operationId})`);
        let entry: RosterEntry | undefined;
        // The version change starts only once the profile is applied (an upgrade needs the agent Ready).
        if ((o.wait || versionRequest) && !started.unchanged) {
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
        const agentVersion = versionRequest ? await changeAgentVersion(client, handle, name, versionRequest, o.wait, out) : null;
        if (agentVersion && !agentVersion.unchanged) entry = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === name) ?? entry;
        const result: UpdateAgentView = {
          plane,
          name,
          state: entry?.state ?? (started.unchanged ? 'Ready' : 'Reconfiguring'),
          operationId: started.unchanged ? null : started.operationId,
          digest: started.digest,
          unchanged: started.unchanged,
          profile: started.profile,
          agentVersion,
        };
        return { data: result, human };
      });
    }),
  );
}
