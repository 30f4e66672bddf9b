/**
 * `planes pause --plane [--agent]` and `planes resume --plane [--agent]`: stop an agent's VM (it keeps
 * its disk, and costs only that while Paused) or start it again and wait until its heartbeat is healthy
 * (Ready). Without --agent: every agent of the plane that can be. Both go through the plane entity; an
 * agent already Paused (or Ready) is done, a pause already running is joined.
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { pauseAgentsUpdate, resumeAgentsUpdate, type AgentOperationRequest } from '../../workflows/agent-operation-messages.js';
import { runCommand } from '../command.js';
import { renderAgentOperations, runAgentOperation, type AgentOperationsView } from './agent-operations.js';

interface PowerOptions {
  plane?: string;
  agent?: string;
  wait: boolean;
}

function register(planes: Command, verb: 'pause' | 'resume', description: string): void {
  planes
    .command(verb)
    .description(description)
    .requiredOption('--plane <plane>', 'plane name')
    .option('--agent <agent>', 'only this agent (default: every agent of the plane)')
    .option('--no-wait', `return once the ${verb} has started`)
    .action(
      runCommand<PowerOptions, AgentOperationsView>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const request: AgentOperationRequest = o.agent === undefined ? {} : { agent: parseAgentName(o.agent, '--agent') };
        const view = await runAgentOperation(verb === 'pause' ? pauseAgentsUpdate : resumeAgentsUpdate, request, { plane, operation: verb, wait: o.wait }, out, (name) =>
          `${verb === 'pause' ? 'pausing' : 'resuming'} agent ${name}`,
        );
        return { data: view, human: (v) => renderAgentOperations(v) };
      }),
    );
}

export function registerPauseResume(planes: Command): void {
  register(planes, 'pause', "stop agents' VMs (Paused: disk kept, only the disk is billed)");
  register(planes, 'resume', "start paused agents' VMs again and wait until they report healthy");
}
