// Every workflow the worker registers (the bundle's entry point).
export { plane } from './plane.js';
export { provisionAgent } from './provision-agent.js';
export { deprovisionAgent } from './deprovision-agent.js';
export { provisionPlane, deprovisionPlane } from './provision-plane.js';
export { upgradePlane } from './upgrade-plane.js';
export { pauseAgent, resumeAgent, restartAgent, rotateAgentSecrets } from './agent-operations.js';
export { healthWatch } from './health-watch.js';
