/**
 * How a plane Update's validator refuses the caller's input: a non-retryable INVALID_INPUT failure
 * naming the field and the rule, which the CLI turns into one line and exit 2.
 */
import { ApplicationFailure } from '@temporalio/workflow';

export function invalidInputFailure(field: string, rule: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`invalid ${field}: ${rule}`, 'INVALID_INPUT', { field, rule });
}
