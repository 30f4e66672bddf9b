/**
 * `planes reconcile --plane [--dry-run]`: repairs a plane's drift through the plane entity's
 * `startReconcile` Update (one reconcile per plane; removals, destroy and upgrades wait for it), follows
 * the reconcilePlane workflow live, and reports what it repaired and what is left. --dry-run shows what
 * it would repair (the drift check) and changes nothing. Exit 1 when a repair failed or repairable drift
 * is left; drift only a person can fix (an external IP, a resource not ours) is reported, exit 0.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import type { DriftItem } from '../../domain/drift.js';
import { parsePlaneName } from '../../domain/names.js';
import { startReconcileUpdate, type ReconcileFailure } from '../../workflows/drift-messages.js';
import type { reconcilePlane } from '../../workflows/reconcile-plane.js';
import { OperationFailedError, runCommand, table } from '../command.js';
import { inspectPlane, renderDrift } from './drift.js';
import { runningPlane, updateError } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { withSession } from './session.js';

export interface ReconcileResult {
  readonly plane: string;
  readonly dryRun: boolean;
  readonly workflowId: string | null;
  /** Drift found at the start (on a dry run: all there is). */
  readonly before: readonly DriftItem[];
  readonly repaired: readonly DriftItem[];
  readonly remaining: readonly DriftItem[];
  readonly failures: readonly ReconcileFailure[];
}

function render(r: ReconcileResult): string {
  const parts: string[] = [];
  if (r.dryRun) {
    const repairable = r.before.filter((d) => d.repairable);
    parts.push(`plane ${r.plane}: reconcile would repair ${repairable.length} of ${r.before.length} drift item(s)`);
    if (r.before.length > 0) parts.push(renderDrift(r.before, r.plane));
    return parts.join('\n');
  }
  parts.push(`plane ${r.plane}: repaired ${r.repaired.length} of ${r.before.length} drift item(s); ${r.remaining.length} left`);
  if (r.repaired.length > 0) parts.push(`repaired:\n${renderDrift(r.repaired, r.plane)}`);
  if (r.remaining.length > 0) parts.push(`left:\n${renderDrift(r.remaining, r.plane)}`);
  if (r.failures.length > 0) {
    parts.push(`failed:\n${table(['AGENT', 'STEP', 'ERROR'], r.failures.map((f) => [f.agent ?? '-', f.step, `${f.error.type}: ${f.error.message}`]))}`);
  }
  return parts.join('\n');
}

export function registerReconcile(planes: Command): void {
  planes
    .command('reconcile')
    .description("repair a plane's drift: re-create what is missing, restore firewall rules and grants, start stopped Ready agents")
    .requiredOption('--plane <plane>', 'plane name')
    .option('--dry-run', 'show what would be repaired and change nothing')
    .action(
      runCommand<{ plane?: string; dryRun?: boolean }, ReconcileResult>(async (o, out) => {
        const plane = parsePlaneName(o.plane);
        return withSession(async (session) => {
          const client = await session.temporal();
          if (o.dryRun) {
            const { report } = await inspectPlane(client, plane);
            if (!report) throw new OperationFailedError(`plane ${plane} is not Ready; it can be reconciled once it is`, 'PLANE_NOT_READY');
            return { data: { plane, dryRun: true, workflowId: null, before: report.drift, repaired: [], remaining: report.drift, failures: [] }, human: render };
          }
          const { handle } = await runningPlane(client, plane);
          let started;
          try {
            started = await handle.executeUpdate(startReconcileUpdate);
          } catch (error) {
            throw updateError(error);
          }
          out.info(`${started.joined ? 'joining the running reconcile' : 'reconciling'} of plane ${plane} (${started.agents} agent(s), workflow ${started.workflowId})`);
          const child = client.workflow.getHandle<typeof reconcilePlane>(started.workflowId);
          let done = false;
          const outcome = child.result().finally(() => (done = true));
          outcome.catch(() => undefined);
          const view = new ProgressView(client, out, `plane ${plane} reconcile`);
          while (!done) {
            await view.show(started.workflowId);
            await Promise.race([sleep(500), outcome.catch(() => undefined)]);
          }
          let report;
          try {
            report = await outcome;
          } catch (error) {
            const cause = error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : String(error);
            throw new OperationFailedError(`reconcile of plane ${plane} ended without a report: ${cause}`, 'RECONCILE_FAILED');
          }
          const result: ReconcileResult = { ...report, dryRun: false };
          const unrepaired = report.remaining.filter((d) => d.repairable);
          if (report.failures.length > 0 || unrepaired.length > 0) {
            const failed = report.failures.map((f) => `${f.agent ? `${f.agent} ` : ''}${f.step}: ${f.error.type}`).join(', ');
            throw new OperationFailedError(
              `reconcile of plane ${plane} left ${unrepaired.length} repairable drift item(s)${failed ? `; failed: ${failed}` : ''} (see \`planes status --plane ${plane} --drift\`)`,
              'RECONCILE_INCOMPLETE',
            );
          }
          if (report.remaining.length > 0) out.info(`${report.remaining.length} drift item(s) need a person (REPAIR "by hand")`);
          return { data: result, human: render };
        });
      }),
    );
}
