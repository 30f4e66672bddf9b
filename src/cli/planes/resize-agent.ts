/**
 * `planes resize-agent --plane --name --vm-type [--health-timeout] [--no-wait]`: moves an agent's VM to
 * another machine type in place (stop, set the type, start, healthy heartbeat; the same instance and
 * disk). A failure puts the old type back and starts the VM again: the agent stays Ready on it.
 */
import type { Command } from 'commander';
import { parseAgentName, parseMachineType, parsePlaneName } from '../../domain/names.js';
import { resizeAgentUpdate, type ResizeAgentRequest } from '../../workflows/resize-messages.js';
import { runCommand } from '../command.js';
import { renderAgentOperations, runAgentOperation, type AgentOperationsView } from './agent-operations.js';
import { parseDuration } from './duration.js';

interface ResizeOptions {
  plane?: string;
  name?: string;
  vmType?: string;
  healthTimeout?: string;
  wait: boolean;
}

export function registerResizeAgent(planes: Command): void {
  planes
    .command('resize-agent')
    .description("move an agent's VM to another machine type (stop, resize, start) and wait until it reports healthy")
    .requiredOption('--plane <plane>', 'plane name')
    .requiredOption('--name <agent>', 'agent name')
    .requiredOption('--vm-type <type>', 'the machine type it moves to')
    .option('--health-timeout <duration>', "how long it may take to report healthy after the start (default: the plane's boot timeout)")
    .option('--no-wait', 'return once the resize has started')
    .action(
      runCommand<ResizeOptions, AgentOperationsView>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const request: ResizeAgentRequest = {
          agent: parseAgentName(o.name),
          machineType: parseMachineType(o.vmType),
          ...(o.healthTimeout === undefined ? {} : { healthTimeoutMs: parseDuration(o.healthTimeout, '--health-timeout') }),
        };
        const view = await runAgentOperation(resizeAgentUpdate, request, { plane, operation: 'resize', wait: o.wait }, out, (name) => `resizing agent ${name} to ${request.machineType}`);
        return { data: view, human: (v) => renderAgentOperations(v) };
      }),
    );
}
