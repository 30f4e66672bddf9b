/**
 * Progress is data: every operation workflow answers `progress` with its fixed list of steps, where it
 * is, and why it failed. The CLI renders it; the Web UI sees the same through the OperationStep search
 * attribute and the workflow's current details.
 */
import { defineQuery, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { OPERATION_STEP } from '../temporal/search-attributes.js';

export type OperationState = 'running' | 'compensating' | 'completed' | 'failed' | 'cancelled';

export interface OperationProgress {
  readonly operation: string;
  readonly state: OperationState;
  /** 1-based index of the current (or last) step; 0 before the first. */
  readonly step: number;
  readonly totalSteps: number;
  readonly stepName: string;
  readonly steps: readonly string[];
  /** While compensating: the undo being run. */
  readonly undoing?: string;
  readonly error?: { readonly type: string; readonly message: string };
}

export const progressQuery = defineQuery<OperationProgress>('progress');

export class ProgressTracker {
  private state: OperationState = 'running';
  private step = 0;
  private undoing: string | undefined;
  private error: OperationProgress['error'];
  private cancelled = false;

  constructor(
    private readonly operation: string,
    private readonly steps: readonly string[],
  ) {
    setHandler(progressQuery, () => this.snapshot());
  }

  snapshot(): OperationProgress {
    return {
      operation: this.operation,
      state: this.state,
      step: this.step,
      totalSteps: this.steps.length,
      stepName: this.steps[this.step - 1] ?? '',
      steps: this.steps,
      ...(this.undoing ? { undoing: this.undoing } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  enter(index: number): void {
    this.step = index + 1;
    this.publish(`step ${this.step}/${this.steps.length}: ${this.steps[index]}`, this.steps[index] ?? '');
  }

  compensating(error: { type: string; message: string }, cancelled: boolean): void {
    this.state = 'compensating';
    this.error = error;
    this.cancelled = cancelled;
    this.publish(`${cancelled ? 'cancelled' : 'failed'} at step ${this.step}; undoing`, 'compensating');
  }

  undo(name: string): void {
    this.undoing = name;
    setCurrentDetails(`undoing: ${name}`);
  }

  finish(ok: boolean): void {
    this.undoing = undefined;
    this.state = ok ? 'completed' : this.cancelled ? 'cancelled' : 'failed';
    this.publish(this.state, this.state);
  }

  private publish(details: string, stepKeyword: string): void {
    setCurrentDetails(`${this.operation}: ${details}`);
    upsertSearchAttributes([{ key: OPERATION_STEP, value: stepKeyword }]);
  }
}
