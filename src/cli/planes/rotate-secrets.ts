/**
 * `planes rotate-secrets --plane [--agent]`: new values for the agents' generated secrets (the gateway
 * token), made and written to Secret Manager inside the worker; the agent restarts to read them and must
 * come back healthy; then the older versions are disabled. Nobody sees a value: the output names secrets
 * and version numbers only.
 */
import type { Command } from 'commander';
import { parseAgentName, parsePlaneName } from '../../domain/names.js';
import { rotateSecretsUpdate, type AgentOperationRequest, type RotationResult } from '../../workflows/agent-operation-messages.js';
import { runCommand } from '../command.js';
import { renderAgentOperations, runAgentOperation, type AgentOperationsView } from './agent-operations.js';

interface RotateOptions {
  plane?: string;
  agent?: string;
  wait: boolean;
}

const versions = (r: RotationResult | undefined) =>
  (r?.secrets ?? []).map((s) => `${s.key} v${s.version}${s.disabled.length ? ` (disabled v${s.disabled.join(', v')})` : ''}`).join('; ');

export function registerRotateSecrets(planes: Command): void {
  planes
    .command('rotate-secrets')
    .description("regenerate agents' generated secrets (gateway token), restart them to pick them up, disable the old versions")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--agent <agent>', 'only this agent (default: every Ready agent of the plane)')
    .option('--no-wait', 'return once the rotation has started')
    .action(
      runCommand<RotateOptions, AgentOperationsView<RotationResult>>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const request: AgentOperationRequest = o.agent === undefined ? {} : { agent: parseAgentName(o.agent, '--agent') };
        const view = await runAgentOperation<AgentOperationRequest, RotationResult>(
          rotateSecretsUpdate,
          request,
          { plane, operation: 'rotate-secrets', wait: o.wait },
          out,
          (name) => `rotating the secrets of agent ${name}`,
        );
        return { data: view, human: (v) => renderAgentOperations(v, (row) => versions(row.result as RotationResult | undefined)) };
      }),
    );
}
