/**
 * `planes restart-agent --plane --name [--health-timeout]`: resets the agent's VM and waits until its
 * heartbeat is healthy on the expected version. Also how an admin clears an Unhealthy agent.
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { restartAgentUpdate, type RestartAgentRequest } from '../../workflows/agent-operation-messages.js';
import { runCommand } from '../command.js';
import { renderAgentOperations, runAgentOperation, type AgentOperationsView } from './agent-operations.js';
import { parseDuration } from './duration.js';

interface RestartOptions {
  plane?: string;
  name?: string;
  healthTimeout?: string;
  wait: boolean;
}

export function registerRestartAgent(planes: Command): void {
  planes
    .command('restart-agent')
    .description("reset an agent's VM and wait until it reports healthy again")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name')
    .option('--health-timeout <duration>', "how long it may take to report healthy (default: the plane's boot timeout)")
    .option('--no-wait', 'return once the restart has started')
    .action(
      runCommand<RestartOptions, AgentOperationsView>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const request: RestartAgentRequest = {
          agent: parseAgentName(o.name),
          ...(o.healthTimeout === undefined ? {} : { healthTimeoutMs: parseDuration(o.healthTimeout, '--health-timeout') }),
        };
        const view = await runAgentOperation(restartAgentUpdate, request, { plane, operation: 'restart', wait: o.wait }, out, (name) => `restarting agent ${name}`);
        return { data: view, human: (v) => renderAgentOperations(v) };
      }),
    );
}
