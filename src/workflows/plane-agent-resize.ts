/**
 * The plane entity's part in resizing an agent: the `resizeAgent` Update (validated: a Ready plane with
 * no upgrade or reconcile on the agent, a known Ready agent, a machine type of the catalog), its child
 * workflow `agent/<plane>/<agent>/resize/<n>` (numbered with the agent's other operations), and the
 * roster transition when it reports back: the spec takes the new type on success; a rolled-back resize
 * leaves the agent Ready on its old type (with the error); anything else marks it Unhealthy.
 * Lives beside plane.ts so that the entity file stays a runbook. The target type is kept in the roster
 * entry (`resizingTo`), so it survives continue-as-new.
 */
import { ApplicationFailure, ParentClosePolicy, setHandler, startChild } from '@temporalio/workflow';
import { InvalidInputError } from '../domain/invalid-input.js';
import { parseAgentName, parseMachineType, type MachineType } from '../domain/names.js';
import { agentOperationWorkflowId } from '../domain/workflow-ids.js';
import { agentSearchAttributes } from '../temporal/search-attributes.js';
import type { AgentOperationsRecord, AgentOperationsResult } from './agent-operation-messages.js';
import type { PlaneView } from './plane-agent-operations.js';
import type { AgentOperationOutcome, RosterEntry } from './plane-messages.js';
import { resizeAgent, type ResizeAgentInput } from './resize-agent.js';
import { RESIZE_ROLLED_BACK, resizeAgentUpdate, type ResizeAgentRequest } from './resize-messages.js';
import { invalidInputFailure as invalid } from './invalid-input-failure.js';

/** Input errors of the domain parsers, as the Update's INVALID_INPUT (the CLI exits 2 naming the field). */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
    throw error;
  }
}

/** A resize of `entry` to `machineType` already running (a repeated command joins it). */
const resizingTo = (entry: RosterEntry, machineType: string) => entry.state === 'Resizing' && entry.resizingTo === machineType;

export class PlaneAgentResize {
  constructor(private readonly plane: PlaneView) {
    setHandler(resizeAgentUpdate, (r) => this.start(r), { validator: (r) => this.validate(r) });
  }

  private validate(request: ResizeAgentRequest | undefined): void {
    const spec = this.plane.spec();
    if (request?.agent === undefined) throw invalid('--name', 'is required');
    const agent = parsed(() => parseAgentName(request.agent, '--name'));
    const machineType = parsed(() => parseMachineType(request.machineType, '--vm-type'));
    if (request.healthTimeoutMs !== undefined && !(Number.isInteger(request.healthTimeoutMs) && request.healthTimeoutMs > 0)) {
      throw invalid('--health-timeout', 'must be greater than zero');
    }
    const entry = this.plane.roster.get(agent);
    if (!entry) throw invalid('--name', `no agent named ${agent} in plane ${spec.name}`);
    if (this.plane.phase() !== 'Ready') {
      throw ApplicationFailure.nonRetryable(`plane ${spec.name} is ${this.plane.phase()}; its agents can be resized once it is Ready`, 'PLANE_NOT_READY');
    }
    if (resizingTo(entry, machineType)) return;
    if (this.plane.activeUpgrade()) {
      throw ApplicationFailure.nonRetryable(
        `an upgrade is running on plane ${spec.name} (${this.plane.activeUpgrade()}); resize once it ends or abort it with \`agents-plane planes upgrade-control\``,
        'UPGRADE_RUNNING',
      );
    }
    const busy = this.plane.busyWith?.(agent);
    if (busy) throw busy;
    if (entry.state !== 'Ready') {
      throw ApplicationFailure.nonRetryable(`agent ${agent} is ${entry.state}; a resize needs it Ready`, 'AGENT_NOT_READY');
    }
  }

  private async start(request: ResizeAgentRequest): Promise<AgentOperationsResult> {
    const entry = this.plane.roster.get(request.agent)!;
    const machineType = request.machineType as MachineType;
    // Already resizing to it (a join), or already on it: nothing to start.
    if (resizingTo(entry, machineType) || (entry.state === 'Ready' && entry.spec.machineType === machineType)) {
      return { agents: [{ name: entry.spec.name, state: entry.state, ...(entry.operationId && entry.state === 'Resizing' ? { operationId: entry.operationId } : {}), joined: true }], skipped: [] };
    }
    const spec = this.plane.spec();
    const previous = entry.operations ?? { count: 0, restarts: 0, autoRestarts: [] };
    const count = previous.count + 1;
    const workflowId = agentOperationWorkflowId(spec.name, entry.spec.name, 'resize', count);
    const operations: AgentOperationsRecord = { ...previous, count };
    this.plane.roster.set(entry.spec.name, { ...entry, state: 'Resizing', operationId: workflowId, since: Date.now(), operations, resizingTo: machineType });
    const input: ResizeAgentInput = {
      plane: spec,
      agent: entry.spec,
      machineType,
      healthTimeoutMs: request.healthTimeoutMs ?? this.plane.bootTimeoutMs,
    };
    await startChild(resizeAgent, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: agentSearchAttributes(spec.name, entry.spec, 'resize-agent'),
    });
    return { agents: [{ name: entry.spec.name, state: 'Resizing', operationId: workflowId, joined: false }], skipped: [] };
  }

  /** Whether `outcome` is the end of a resize. */
  handles(outcome: AgentOperationOutcome): boolean {
    return outcome.kind === 'resize';
  }

  /** Roster transition when a resize reports its end. */
  finished(outcome: AgentOperationOutcome): void {
    const entry = this.plane.roster.get(outcome.agent);
    // Removed meanwhile, or removal has taken over: its own report decides.
    if (!entry || entry.state !== 'Resizing') return;
    const { lastError: _lastError, resizingTo: to, ...rest } = entry;
    if (outcome.ok && to) {
      this.plane.roster.set(outcome.agent, { ...rest, spec: { ...rest.spec, machineType: to }, state: 'Ready', since: Date.now() });
      return;
    }
    const rolledBack = outcome.error?.type === RESIZE_ROLLED_BACK;
    this.plane.roster.set(outcome.agent, {
      ...rest,
      state: rolledBack ? 'Ready' : 'Unhealthy',
      since: Date.now(),
      ...(outcome.error ? { lastError: outcome.error } : {}),
    });
  }
}
