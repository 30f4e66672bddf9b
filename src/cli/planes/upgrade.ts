/**
 * `planes upgrade --plane --version [--canary N] [--max-unavailable K] [--health-timeout 10m]`: a rolling
 * upgrade of the plane's Ready agents (canary first, then waves, health-gated; a failure rolls the
 * touched agents back). Follows it live until it ends: exit 0 when every agent runs the version, 1 when
 * it halted (or was aborted) and rolled back. `planes upgrade-control` pauses, resumes or aborts it.
 * With `--window "<cron>"` it schedules the upgrade instead (upgrade-window.ts).
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { parsePlaneName } from '../../domain/names.js';
import { startUpgradeUpdate, upgradeProgressQuery, type UpgradeProgress } from '../../workflows/upgrade-messages.js';
import { OperationFailedError, runCommand, table, type Output } from '../command.js';
import { runningPlane, updateError } from './plane-handle.js';
import { sleep } from './progress.js';
import { upgradeRequestFromFlags } from './upgrade-flags.js';
import { withSession } from './session.js';
import { withWindowFlags } from './upgrade-window.js';

interface UpgradeOptions {
  plane?: string;
  version?: string;
  canary?: string;
  maxUnavailable?: string;
  healthTimeout?: string;
  wait: boolean;
}

export interface UpgradeResult {
  readonly plane: string;
  readonly workflowId: string;
  readonly toVersion: string;
  readonly state: string;
  readonly halted: boolean;
  readonly rolledBack: boolean;
  readonly agents: readonly { readonly name: string; readonly fromVersion: string; readonly state: string }[];
}

/** One line per change: the stage, and each agent that is not pending or done. */
export function formatUpgrade(p: UpgradeProgress): string {
  const upgraded = p.agents.filter((a) => a.state === 'upgraded').length;
  const busy = p.agents
    .filter((a) => !['pending', 'upgraded', 'rolled-back'].includes(a.state))
    .map((a) => `${a.name} ${a.state}${a.rollback ? ` (${a.rollback.kind === 'restore' ? 'restoring its pre-upgrade snapshot' : 'version only'})` : ''}`);
  const where = p.halted ? 'halted, rolling back' : p.paused ? 'paused' : `[${p.step}/${p.totalSteps}] ${p.stepName || 'starting'}`;
  return `upgrade to ${p.toVersion} ${where}: ${upgraded}/${p.agents.length} upgraded${busy.length ? `; ${busy.join(', ')}` : ''}`;
}

export async function followUpgrade(client: Client, workflowId: string, out: Output): Promise<UpgradeProgress> {
  const handle = client.workflow.getHandle(workflowId);
  // Followed until the workflow closes, however it closes (a terminated one never reports an end state).
  let closed = false;
  const outcome = handle.result().then(
    () => undefined,
    (error: unknown) => error,
  );
  void outcome.finally(() => (closed = true));
  let last = '';
  const show = async (): Promise<UpgradeProgress | undefined> => {
    try {
      const p = await handle.query(upgradeProgressQuery);
      const line = formatUpgrade(p);
      if (line !== last) out.progress((last = line));
      return p;
    } catch {
      // Its first workflow task has not run yet.
      return undefined;
    }
  };
  while (!closed) {
    await show();
    await Promise.race([sleep(500), outcome]);
  }
  const progress = await show();
  const error = await outcome;
  if (error !== undefined) {
    const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
    const failure = cause instanceof ApplicationFailure ? cause : undefined;
    const message = failure?.message ?? (cause ? `upgrade ${workflowId} ended: ${cause.message}` : error instanceof Error ? error.message : String(error));
    throw new OperationFailedError(message, failure?.type ?? 'FAILED');
  }
  if (!progress) throw new OperationFailedError(`upgrade ${workflowId} ended but its progress could not be read`, 'FAILED');
  return progress;
}

function resultOf(plane: string, workflowId: string, p: UpgradeProgress): UpgradeResult {
  return {
    plane,
    workflowId,
    toVersion: p.toVersion,
    state: p.state,
    halted: p.halted,
    rolledBack: p.rolledBack,
    agents: p.agents.map((a) => ({ name: a.name, fromVersion: a.fromVersion, state: a.state })),
  };
}

export function registerUpgrade(planes: Command): void {
  planes
    .command('upgrade')
    .description("rolling upgrade of a plane's agents to an OpenClaw version: snapshot, canary, waves, health-gated, automatic rollback")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--version <version>', 'the OpenClaw version to run (e.g. 2026.11.3); required unless --list-windows or --remove-window')
    .option('--canary <n>', 'agents upgraded first; the rest wait for them to be healthy (0: none)', '1')
    .option('--max-unavailable <k>', 'at most this many agents upgrading at any moment (the wave size)', '1')
    .option('--health-timeout <duration>', 'how long one agent may take to report the new version healthy', '10m')
    .option('--no-wait', 'return once the upgrade has started')
    .option('--window <cron>', 'do not upgrade now: keep an upgrade window, a schedule that starts this upgrade at each cron time (UTC)')
    .option('--list-windows', "show the plane's upgrade window: cron, version, next run, what the last window did")
    .option('--remove-window', "delete the plane's upgrade window")
    .action(
      // With a window flag, the upgrade is scheduled (or the schedule shown or removed), not started.
      withWindowFlags(
      runCommand<UpgradeOptions, UpgradeResult>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        const request = upgradeRequestFromFlags(o);
        return withSession(async (session) => {
          const client = await session.temporal();
          const { handle } = await runningPlane(client, plane);
          let started;
          try {
            started = await handle.executeUpdate(startUpgradeUpdate, { args: [request] });
          } catch (error) {
            throw updateError(error);
          }
          out.info(`upgrading ${started.agents} agent(s) of plane ${plane} to ${request.toVersion} (workflow ${started.workflowId})`);
          const human = (r: UpgradeResult) =>
            `${table(['AGENT', 'FROM', 'STATE'], r.agents.map((a) => [a.name, a.fromVersion, a.state]))}\nupgrade to ${r.toVersion}: ${r.state}`;
          if (!o.wait) {
            return { data: { plane, workflowId: started.workflowId, toVersion: request.toVersion, state: 'running', halted: false, rolledBack: false, agents: [] }, human };
          }
          const final = await followUpgrade(client, started.workflowId, out);
          return { data: resultOf(plane, started.workflowId, final), human };
        });
      }),
      ),
    );
}
