/** Maps an agent to the inputs of its VM startup script (names only: values stay in Secret Manager). */
import { agentResourceNames } from '../domain/resource-names.js';
import { agentSecretKeys } from '../domain/specs.js';
import { renderStartupScript } from '../domain/startup-script.js';
import type { AgentTarget } from '../domain/targets.js';

export function bootScriptFor(t: AgentTarget): string {
  const names = agentResourceNames(t.plane.project, t.plane.name, t.agent.name);
  return renderStartupScript({
    project: t.plane.project,
    plane: t.plane.name,
    agent: t.agent.name,
    owner: t.agent.owner,
    agentVersion: t.agent.agentVersion,
    secrets: agentSecretKeys(t.agent).map((key) => ({ envVar: key, secretName: names.secretName(key) })),
  });
}
