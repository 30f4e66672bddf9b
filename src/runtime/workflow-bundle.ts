/**
 * Workflow code is bundled ahead of time (at build, and once per test run) so a worker starts in a
 * second instead of spending several seconds of webpack on every start.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { projectRoot } from './project-root.js';

/** Where the build puts the product workflows' bundle and the worker looks for it by default. */
export function defaultWorkflowBundlePath(): string {
  return join(projectRoot(), 'dist', 'workflow-bundle.js');
}

/** Webpack's progress is noise in build and test output; warnings and errors still show. */
class QuietLogger implements Logger {
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (level === 'WARN' || level === 'ERROR') process.stderr.write(`[bundle ${level}] ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`);
  }
  trace(): void {}
  debug(): void {}
  info(): void {}
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export async function bundleWorkflowsToFile(workflowsPath: string, outFile: string): Promise<{ bytes: number; ms: number }> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new QuietLogger() });
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
  return { bytes: code.length, ms: Date.now() - started };
}
