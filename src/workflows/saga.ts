/**
 * The generic saga runner. A provider contributes ordered steps, each with its undo; the runner executes
 * them in order and, on failure or cancellation, runs the undos of every step it entered, newest first,
 * in a non-cancellable scope. An undo that fails is logged and the rest still run; the original error is
 * rethrown. Teardown runs the same undos in the same order, but stops at the first failure.
 */
import { ApplicationFailure, CancellationScope, isCancellation, log } from '@temporalio/workflow';
import type { ProgressTracker } from './progress.js';

export interface SagaStep {
  /** Short stable name, shown as the current step (e.g. `service-account`). */
  readonly name: string;
  run(): Promise<unknown>;
  /** Idempotent: also safe when `run` created nothing (not-found counts as done). */
  undo?(): Promise<unknown>;
}

export function describeFailure(error: unknown): { type: string; message: string } {
  let e: unknown = error;
  // Activity and child failures wrap the ApplicationFailure that carries the type.
  for (let i = 0; i < 4 && e && typeof e === 'object' && 'cause' in e && (e as { cause?: unknown }).cause; i++) {
    if (e instanceof ApplicationFailure && e.type) break;
    e = (e as { cause?: unknown }).cause;
  }
  if (e instanceof ApplicationFailure) return { type: e.type ?? 'FAILED', message: e.message };
  if (isCancellation(error)) return { type: 'CANCELLED', message: 'cancelled' };
  return { type: 'FAILED', message: e instanceof Error ? e.message : String(e) };
}

export async function runSaga(steps: readonly SagaStep[], progress: ProgressTracker): Promise<void> {
  const undos: SagaStep[] = [];
  try {
    for (const [index, step] of steps.entries()) {
      progress.enter(index);
      // The undo is registered before the step runs: a step that fails half-way (two secrets of three
      // created) must be undone too, and undos are idempotent.
      if (step.undo) undos.unshift(step);
      await step.run();
    }
  } catch (error) {
    progress.compensating(describeFailure(error), isCancellation(error));
    await CancellationScope.nonCancellable(async () => {
      for (const step of undos) {
        progress.undo(step.name);
        try {
          await step.undo?.();
        } catch (undoError) {
          log.error('undo failed; continuing with the remaining undos', { step: step.name, error: describeFailure(undoError) });
        }
      }
    });
    progress.finish(false);
    throw error;
  }
  progress.finish(true);
}

/** Teardown: every undo, newest step first; a failure stops it (the operation fails and can be re-run). */
export async function runTeardown(steps: readonly SagaStep[], progress: ProgressTracker): Promise<void> {
  const undos = steps.filter((s) => s.undo).reverse();
  try {
    for (const [index, step] of undos.entries()) {
      progress.enter(index);
      await step.undo?.();
    }
  } catch (error) {
    progress.compensating(describeFailure(error), isCancellation(error));
    progress.finish(false);
    throw error;
  }
  progress.finish(true);
}
