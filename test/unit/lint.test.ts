/**
 * The runtime boundaries of the code base hold: workflow code imports no Node built-in, no cloud client
 * and no activity implementation, and no promise is left floating anywhere (eslint.config.js).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/runtime/project-root.js';

describe('lint', () => {
  it('finds no violation in src, scripts and bench', async () => {
    const eslint = new ESLint({ cwd: projectRoot() });
    const results = await eslint.lintFiles(['src', 'scripts', 'bench']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId ?? ''} ${m.message}`));
    expect(results.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  }, 120_000);
});
