/** `agents-plane planes ...`: one file per command. */
import type { Command } from 'commander';
import { registerAddAgent } from './add-agent.js';
import { registerCreate } from './create.js';
import { registerDestroy } from './destroy.js';
import { registerList } from './list.js';
import { registerPauseResume } from './pause-resume.js';
import { registerRestartAgent } from './restart-agent.js';
import { registerRotateSecrets } from './rotate-secrets.js';
import { registerLogs } from './logs.js';
import { registerRemoveAgent } from './remove-agent.js';
import { registerSecrets } from './secrets.js';
import { registerStatus } from './status.js';
import { registerUpgrade } from './upgrade.js';
import { registerUpgradeControl } from './upgrade-control.js';

export function registerPlanesCommands(program: Command): void {
  const planes = program.command('planes').description('create and run planes of agents');
  registerCreate(planes);
  registerList(planes);
  registerAddAgent(planes);
  registerStatus(planes);
  registerRemoveAgent(planes);
  registerLogs(planes);
  registerSecrets(planes);
  registerDestroy(planes);
  registerUpgrade(planes);
  registerUpgradeControl(planes);
  registerPauseResume(planes);
  registerRestartAgent(planes);
  registerRotateSecrets(planes);
}
