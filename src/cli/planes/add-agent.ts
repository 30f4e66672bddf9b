/**
 * `planes add-agent --plane --name --owner --vm-type`: asks the plane to provision an agent and follows
 * the provisioning saga until the agent is Ready (first healthy heartbeat) or has been rolled back.
 * The same command twice joins the first; the same name with another owner is refused (exit 2).
 */
import type { Command } from 'commander';
import { parseAgentSpec, type AgentRequest } from '../../domain/specs.js';
import { parsePlaneName } from '../../domain/names.js';
import { addAgentUpdate, planeStatusQuery, type RosterEntry } from '../../workflows/plane-messages.js';
import { OperationFailedError, runCommand, table } from '../command.js';
import { runningPlane, updateError } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { withSession } from './session.js';
import { addRuntimeFlags, runtimeFlags, type RuntimeFlagOptions } from './runtime-flags.js';
import { hasRuntimeFields } from '../../domain/runtime-profile.js';

interface AddAgentOptions extends RuntimeFlagOptions {
  plane?: string;
  name?: string;
  owner?: string;
  vmType?: string;
  agentVersion?: string;
  wait: boolean;
}

export interface AgentResult {
  readonly plane: string;
  readonly name: string;
  readonly owner: string;
  readonly state: string;
  readonly operationId?: string;
  readonly joined: boolean;
}

export function registerAddAgent(planes: Command): void {
  const command = planes
    .command('add-agent')
    .description("provision an agent for a team member: its own VM, service account, secrets; reachable only by its owner")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name (lowercase letters, digits, hyphens; at most 24)')
    .requiredOption('--owner <email>', "the owner's Google identity (email)")
    .option('--vm-type <type>', 'machine type', 'e2-small')
    .option('--agent-version <version>', "OpenClaw version (default: the plane's)")
    .option('--no-wait', 'return once provisioning has started');
  addRuntimeFlags(command).action(
    runCommand<AddAgentOptions, AgentResult>(async (o, out) => {
      // Validate everything before talking to anyone: bad input creates nothing.
      const plane = parsePlaneName(o.plane);
      const runtime = runtimeFlags(o);
      const withProfile = hasRuntimeFields(runtime) ? { runtime } : {};
      const agent = parseAgentSpec({ plane, name: o.name, owner: o.owner, machineType: o.vmType, agentVersion: o.agentVersion, ...withProfile }, undefined);
      // Without --agent-version the plane applies its own default; profile flags go as given, over the plane's default.
      const { runtime: _validated, ...base } = agent;
      const request: AgentRequest = { ...base, ...(o.agentVersion === undefined ? { agentVersion: undefined } : {}), ...withProfile };
      return withSession(async (session) => {
        const client = await session.temporal();
        const { handle } = await runningPlane(client, plane);
        let started;
        try {
          started = await handle.executeUpdate(addAgentUpdate, { args: [request] });
        } catch (error) {
          throw updateError(error);
        }
        if (started.joined) out.info(`agent ${agent.name} is already in plane ${plane} (${started.state}); following it`);
        else out.info(`provisioning agent ${agent.name} (workflow ${started.operationId})`);
        let entry: RosterEntry | undefined;
        if (o.wait) {
          const view = new ProgressView(client, out, `agent ${agent.name}`);
          for (;;) {
            entry = (await handle.query(planeStatusQuery)).agents.find((a) => a.spec.name === agent.name);
            if (!entry || entry.state === 'Ready' || entry.state === 'Failed') break;
            await view.show(entry.operationId);
            await sleep(500);
          }
          if (!entry || entry.state === 'Failed') {
            throw new OperationFailedError(
              `agent ${agent.name} could not be provisioned: ${entry?.lastError?.message ?? 'it was removed'}; everything it created was removed`,
              entry?.lastError?.type ?? 'FAILED',
            );
          }
        }
        const result: AgentResult = {
          plane,
          name: agent.name,
          owner: agent.owner,
          state: entry?.state ?? started.state,
          operationId: started.operationId,
          joined: started.joined,
        };
        return {
          data: result,
          human: (r) => table(['PLANE', 'AGENT', 'OWNER', 'STATE'], [[r.plane, r.name, r.owner, r.state]]),
        };
      });
    }),
  );
}
