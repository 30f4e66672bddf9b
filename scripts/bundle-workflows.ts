/** Build step: bundles the workflows the worker registers into dist/workflow-bundle.js. */
import { join } from 'node:path';
import { projectRoot } from '../src/runtime/project-root.js';
import { bundleWorkflowsToFile, defaultWorkflowBundlePath } from '../src/runtime/workflow-bundle.js';

const source = join(projectRoot(), 'src', 'workflows', 'index.ts');
const out = defaultWorkflowBundlePath();
const { bytes, ms } = await bundleWorkflowsToFile(source, out);
process.stderr.write(`workflow bundle: ${out} (${(bytes / 1024).toFixed(0)} KiB, ${ms} ms)\n`);
