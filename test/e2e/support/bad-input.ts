/** The CLI's bad-input contract, as every e2e suite checks it. */
import { expect } from 'vitest';
import type { CliRun } from '../../setup/cli.js';

/** Exit 2 with exactly one line on stderr, and that line contains `text` (the field, or more of the message). */
export function expectBadInput(r: CliRun, text: string): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(text);
}
