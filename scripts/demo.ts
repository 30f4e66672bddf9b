/**
 * `npm run demo`: brings the embedded stack up (a no-op when it already runs), runs the main job, and
 * leaves the stack running for the Web UI, printing where to look and how to stop it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { devUp, type DevUpResult } from '../src/runtime/dev-stack.js';
import { projectRoot } from '../src/runtime/project-root.js';
import { bundleWorkflowsToFile } from '../src/runtime/workflow-bundle.js';
import { encryptingDataConverter } from '../src/temporal/codec.js';
import { codecKeysFor, connectClient, resolveStack } from '../src/temporal/connection.js';
import { OPERATION } from '../src/temporal/search-attributes.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The demo's main job. Interim: a first real workflow end to end through the running stack (its own
 * small worker on a demo task queue). The provisioning work replaces the body with real `planes`
 * calls against the emulator. Returns the workflow ids worth opening in the Web UI.
 */
export async function runMainJob(stack: DevUpResult): Promise<string[]> {
  // The demo prints its own story; the SDK's worker lifecycle lines would drown it.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const bundlePath = join(projectRoot(), 'dist', 'demo-workflow-bundle.js');
  await bundleWorkflowsToFile(join(projectRoot(), 'scripts', 'demo', 'workflows.ts'), bundlePath);
  const resolved = await resolveStack();
  const taskQueue = `agents-plane-demo-${randomBytes(3).toString('hex')}`;
  const workflowId = `demo/hello/${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const connection = await NativeConnection.connect(resolved.temporal.connectionOptions);
  const client = await connectClient();
  try {
    const worker = await Worker.create({
      connection,
      namespace: resolved.temporal.namespace,
      taskQueue,
      workflowBundle: { codePath: bundlePath },
      dataConverter: encryptingDataConverter(codecKeysFor(resolved.temporal)),
    });
    say(`main job: workflow ${workflowId} on ${stack.temporalAddress}`);
    const result = await worker.runUntil(
      client.workflow.execute('demoHello', {
        taskQueue,
        workflowId,
        args: [{ who: 'Agents Plane', steps: 3 }],
        typedSearchAttributes: [{ key: OPERATION, value: 'demo' }],
      }),
    );
    say(`main job: completed with ${JSON.stringify(result)}`);
    return [workflowId];
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

async function main(): Promise<void> {
  say('Agents Plane demo: starting the embedded stack (Temporal dev server, codec endpoint, emulator, worker)');
  const stack = await devUp({ log: (line) => process.stderr.write(`  ${line}\n`) });
  say(stack.alreadyRunning ? 'the stack was already running' : `the stack is up in ${(stack.startupMs / 1000).toFixed(1)} s`);
  say(`  Temporal   ${stack.temporalAddress} (namespace ${stack.namespace})`);
  say(`  Web UI     ${stack.webUiUrl ?? '(external Temporal: use its own Web UI)'}`);
  say(`  codec      ${stack.codecEndpoint}`);
  if (stack.emulatorUrl) say(`  emulator   ${stack.emulatorUrl}`);
  const workflowIds = await runMainJob(stack);
  say('');
  if (stack.webUiUrl) {
    for (const id of workflowIds) say(`Open in the Web UI: ${stack.webUiUrl}/namespaces/${stack.namespace}/workflows/${encodeURIComponent(id)}`);
    say(`All workflows:      ${stack.webUiUrl}/namespaces/${stack.namespace}/workflows`);
  }
  say('The stack keeps running in the background. Stop it with:');
  say('  npx agents-plane dev down        (or: npm run agents-plane -- dev down)');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('the stack may be partly up: `npx agents-plane dev status` shows it, `npx agents-plane dev down` stops it\n');
  process.exitCode = 1;
});
