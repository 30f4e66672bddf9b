/** Maps an agent to the inputs of its VM startup script. */
import type { AgentTarget } from '../domain/targets.js';

export function bootScriptFor(_t: AgentTarget): string {
  return '#!/bin/bash\n';
}
