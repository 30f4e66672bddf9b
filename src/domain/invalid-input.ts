/**
 * Bad input from a person or a file: always names the field and the rule it broke. The CLI maps it to
 * exit code 2 and creates nothing; workflows map it to a non-retryable INVALID_SPEC failure.
 */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`invalid ${field}: ${rule}`);
    this.name = 'InvalidInputError';
  }
}
