// Every workflow the worker registers (the bundle's entry point).
export { plane } from './plane.js';
export { provisionAgent } from './provision-agent.js';
export { deprovisionAgent } from './deprovision-agent.js';
export { provisionPlane, deprovisionPlane } from './provision-plane.js';
export { upgradePlane } from './upgrade-plane.js';
export { inspectPlaneDrift } from './inspect-plane-drift.js';
export { reconcilePlane } from './reconcile-plane.js';
export { upgradeWindow } from './upgrade-window.js';
export { backupPlane } from './backup-plane.js';
export { restoreAgent } from './restore-agent.js';
export { pauseAgent, resumeAgent, restartAgent, rotateAgentSecrets } from './agent-operations.js';
export { healthWatch } from './health-watch.js';
export { resizeAgent } from './resize-agent.js';
export { reconfigureAgent } from './reconfigure-agent.js';
