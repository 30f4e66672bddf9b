/**
 * `planes apply -f planes.yaml [--dry-run] [--yes]`: makes planes and their agents what the file says.
 * Validates the whole file first (exit 2, nothing started), computes the plan against each live plane
 * (apply-plan.ts), prints it, and with --dry-run stops there. Otherwise, after --yes (or a yes at a
 * terminal), carries it out through the same workflows and Updates as the imperative commands (the
 * plane entity's start, addAgent, removeAgent, resizeAgent for a changed machine type) and follows them
 * live; exit 1 when one failed.
 * Applying the same file again plans nothing.
 */
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parsePlaneManifests, type PlaneManifest } from '../../domain/plane-manifest.js';
import type { AgentRequest } from '../../domain/specs.js';
import { addAgentsUpdate, MAX_AGENTS_PER_BATCH, planeStatusQuery, removeAgentUpdate, type PlaneStatus } from '../../workflows/plane-messages.js';
import { resizeAgentUpdate } from '../../workflows/resize-messages.js';
import { OperationFailedError, runCommand, table, type Output } from '../command.js';
import { planChanges, planPlane, renderPlan, type PlanePlan, type PlannedAgent } from './apply-plan.js';
import { startOrJoinPlane, waitUntilCreated } from './create.js';
import { confirmed } from './destroy.js';
import { parseDuration } from './duration.js';
import { runningPlane, updateError, type PlaneHandle } from './plane-handle.js';
import { sleep } from './progress.js';
import { withSession } from './session.js';

interface ApplyOptions {
  file?: string;
  dryRun?: boolean;
  yes?: boolean;
  bootTimeout: string;
}

export interface AppliedAgent {
  readonly name: string;
  readonly action: 'add' | 'remove' | 'change';
  /** Ready or Removed when it worked; Failed otherwise (a failed change leaves the agent as it was, Ready). */
  readonly state: string;
  readonly error?: string;
}

export interface ApplyResult {
  readonly dryRun: boolean;
  readonly plan: readonly PlanePlan[];
  /** Planes to create plus agents to add, remove or change; 0 means the file is already true. */
  readonly changes: number;
  /** What happened, per plane (empty on a dry run or when nothing changed). */
  readonly applied: readonly { readonly plane: string; readonly phase: string; readonly agents: readonly AppliedAgent[] }[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function readManifestText(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError('-f', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** The live plane, or undefined when there is none (apply creates it). */
async function livePlane(client: Client, manifest: PlaneManifest): Promise<{ handle: PlaneHandle; status: PlaneStatus } | undefined> {
  try {
    return await runningPlane(client, manifest.spec.name);
  } catch (error) {
    if (error instanceof InvalidInputError) return undefined;
    throw error;
  }
}

interface Pending {
  readonly agent: PlannedAgent;
  readonly action: AppliedAgent['action'];
  outcome?: AppliedAgent;
}

/** Carries out one plane's plan and follows it until every agent is Ready, gone or Failed. */
async function applyPlane(
  client: Client,
  manifest: PlaneManifest,
  plan: PlanePlan,
  live: { handle: PlaneHandle; status: PlaneStatus } | undefined,
  bootTimeoutMs: number,
  out: Output,
): Promise<ApplyResult['applied'][number]> {
  const name = manifest.spec.name;
  const handle = live?.handle ?? (await startOrJoinPlane(client, manifest.spec, { bootTimeoutMs }, out, `${manifest.path}metadata.name`));
  if (plan.create || live?.status.phase === 'Creating') await waitUntilCreated(client, handle, name, out);

  const pending: Pending[] = [
    ...plan.remove.map((agent): Pending => ({ agent, action: 'remove' })),
    ...plan.add.map((agent): Pending => ({ agent, action: 'add' })),
    ...plan.change.map((c): Pending => ({ agent: { name: c.name, owner: c.owner, machineType: c.to }, action: 'change' })),
  ];
  const failed = (p: Pending, error: string): AppliedAgent => ({ name: p.agent.name, action: p.action, state: 'Failed', error });
  // Removals one Update each; additions in addAgents batches: Temporal admits only a few Updates in
  // flight per workflow, and one batch starts all its agents' provisioning in one workflow task.
  const adds = pending.filter((p) => p.action === 'add');
  const requestOf = (p: Pending): AgentRequest =>
    // Without a version the plane applies its own, as add-agent without --agent-version.
    ({
      plane: name,
      name: p.agent.name,
      owner: p.agent.owner,
      machineType: p.agent.machineType,
      agentVersion: undefined,
      ...(p.agent.runtime ? { runtime: p.agent.runtime } : {}),
    }) as AgentRequest;
  await Promise.all([
    ...pending
      .filter((p) => p.action === 'remove')
      .map(async (p) => {
        try {
          const r = await handle.executeUpdate(removeAgentUpdate, { args: [p.agent.name as AgentRequest['name']] });
          if (r.state === 'Absent') p.outcome = { name: p.agent.name, action: 'remove', state: 'Removed' };
        } catch (error) {
          p.outcome = failed(p, updateError(error).message);
        }
      }),
    // A changed machine type: the agent resized in place (resize-agent's Update), one Update each.
    ...pending
      .filter((p) => p.action === 'change')
      .map(async (p) => {
        try {
          await handle.executeUpdate(resizeAgentUpdate, { args: [{ agent: p.agent.name, machineType: p.agent.machineType }] });
        } catch (error) {
          p.outcome = failed(p, updateError(error).message);
        }
      }),
    (async () => {
      for (let i = 0; i < adds.length; i += MAX_AGENTS_PER_BATCH) {
        const batch = adds.slice(i, i + MAX_AGENTS_PER_BATCH);
        try {
          await handle.executeUpdate(addAgentsUpdate, { args: [batch.map(requestOf)] });
        } catch (error) {
          const message = updateError(error).message;
          for (const p of batch) p.outcome = failed(p, message);
        }
      }
    })(),
  ]);

  let last = '';
  for (;;) {
    const status = await handle.query(planeStatusQuery);
    for (const p of pending.filter((x) => !x.outcome)) {
      const entry = status.agents.find((e) => e.spec.name === p.agent.name);
      const why = entry?.lastError ? `${entry.lastError.type}: ${entry.lastError.message}` : 'unknown error';
      if (p.action === 'add') {
        if (entry?.state === 'Ready') p.outcome = { name: p.agent.name, action: 'add', state: 'Ready' };
        else if (!entry) p.outcome = failed(p, 'it was removed while being added');
        else if (entry.state === 'Failed') p.outcome = failed(p, `${why}; everything it created was removed`);
      } else if (p.action === 'change') {
        if (!entry) p.outcome = failed(p, 'it was removed while being resized');
        else if (entry.state === 'Ready' && entry.spec.machineType === p.agent.machineType) p.outcome = { name: p.agent.name, action: 'change', state: 'Ready' };
        else if (entry.state !== 'Resizing') p.outcome = failed(p, `${why}; the agent is ${entry.state} on ${entry.spec.machineType}`);
      } else if (!entry) p.outcome = { name: p.agent.name, action: 'remove', state: 'Removed' };
      else if (entry.state === 'Failed') p.outcome = failed(p, `${why}; apply again to retry`);
    }
    const count = (action: Pending['action']) => {
      const of = pending.filter((x) => x.action === action);
      return `${of.filter((x) => x.outcome && x.outcome.state !== 'Failed').length}/${of.length}`;
    };
    const line = `plane ${name}: added ${count('add')}, removed ${count('remove')}${plan.change.length > 0 ? `, resized ${count('change')}` : ''}`;
    if (line !== last) out.progress((last = line));
    if (pending.every((x) => x.outcome)) return { plane: name, phase: status.phase, agents: pending.map((x) => x.outcome!) };
    await sleep(500);
  }
}

function renderApplied(result: ApplyResult): string {
  if (result.dryRun || result.changes === 0) return renderPlan(result.plan);
  const rows = result.applied.flatMap((p) => p.agents.map((a) => [p.plane, a.action, a.name, a.state, a.error ?? '']));
  const planes = result.applied.map((p) => `plane ${p.plane}: ${p.phase}`).join('\n');
  return rows.length === 0 ? planes : `${planes}\n${table(['PLANE', 'ACTION', 'AGENT', 'STATE', 'ERROR'], rows)}`;
}

export function registerApply(planes: Command): void {
  planes
    .command('apply')
    .description('make planes and their agents what a planes.yaml says: plan, then create, add, remove and resize')
    .requiredOption('-f, --file <path>', 'the planes.yaml (one or several Plane documents; - reads stdin)')
    .option('--dry-run', 'print the plan and stop')
    .option('--yes', 'carry out the plan without asking')
    .option('--boot-timeout <duration>', 'for a plane the file creates: how long an agent may take to report healthy', '20m')
    .action(
      runCommand<ApplyOptions, ApplyResult>(async (o, out) => {
        const manifests = parsePlaneManifests(await readManifestText(o.file ?? ''));
        const bootTimeoutMs = parseDuration(o.bootTimeout, '--boot-timeout');
        return withSession(async (session) => {
          const client = await session.temporal();
          const lives = await Promise.all(manifests.map((m) => livePlane(client, m)));
          const plan = manifests.map((m, i) => planPlane(m, lives[i]?.status));
          const changes = plan.reduce((n, p) => n + planChanges(p), 0);
          const result = (applied: ApplyResult['applied']): { data: ApplyResult; human: (r: ApplyResult) => string } => ({
            data: { dryRun: o.dryRun === true, plan, changes, applied },
            human: renderApplied,
          });
          if (o.dryRun || changes === 0) return result([]);

          out.info(renderPlan(plan));
          if (!o.yes && !(!out.json && (await confirmed(`apply these ${changes} change(s)? [y/N] `)))) {
            throw new InvalidInputError('--yes', 'carrying out the plan needs --yes (or a yes at a terminal); --dry-run only shows it');
          }
          const applied = await Promise.all(manifests.map((m, i) => applyPlane(client, m, plan[i]!, lives[i], bootTimeoutMs, out)));
          const failures = applied.flatMap((p) => p.agents.filter((a) => a.state === 'Failed').map((a) => `${a.action} ${p.plane}/${a.name} (${a.error ?? 'failed'})`));
          if (failures.length > 0) {
            throw new OperationFailedError(`${failures.length} of ${changes} change(s) failed: ${failures.join('; ')}`, 'APPLY_FAILED');
          }
          return result(applied);
        });
      }),
    );
}
