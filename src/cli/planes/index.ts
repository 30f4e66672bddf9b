/** `agents-plane planes ...`: one file per command. */
import type { Command } from 'commander';
import { registerAddAgent } from './add-agent.js';
import { registerApply } from './apply.js';
import { registerBackup } from './backup.js';
import { registerConnect } from './connect.js';
import { registerCreate } from './create.js';
import { registerCostReport } from './cost-report.js';
import { registerDestroy } from './destroy.js';
import { registerList } from './list.js';
import { registerPauseResume } from './pause-resume.js';
import { registerRestartAgent } from './restart-agent.js';
import { registerResizeAgent } from './resize-agent.js';
import { registerRotateSecrets } from './rotate-secrets.js';
import { registerLogs } from './logs.js';
import { registerReconcile } from './reconcile.js';
import { registerRemoveAgent } from './remove-agent.js';
import { registerRestore } from './restore.js';
import { registerSecrets } from './secrets.js';
import { registerStatus } from './status.js';
import { registerUpgrade } from './upgrade.js';
import { registerUpgradeControl } from './upgrade-control.js';
import { registerUpdateAgent } from './update-agent.js';

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
  registerApply(planes);
  registerReconcile(planes);
  registerCostReport(planes);
  registerBackup(planes);
  registerRestore(planes);
  registerPauseResume(planes);
  registerRestartAgent(planes);
  registerRotateSecrets(planes);
  registerResizeAgent(planes);
  registerConnect(planes);
  registerUpdateAgent(planes);
}
