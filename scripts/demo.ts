/**
 * `npm run demo`: brings the embedded stack up (a no-op when it already runs), runs the main job, and
 * leaves the stack running for the Web UI, printing where to look and how to stop it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { devUp, type DevUpResult } from '../src/runtime/dev-stack.js';
import { projectRoot } from '../src/runtime/project-root.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The demo plane: what a team would create first. */
const DEMO = {
  plane: 'demo',
  project: 'agents-demo',
  region: 'us-central1',
  agents: [
    // Alice's agent comes with a runtime profile: her channels, a cheap thinking clock, a budget.
    {
      name: 'alice',
      owner: 'alice@example.com',
      vmType: 'e2-small',
      profile: ['--channels', 'telegram,whatsapp', '--heartbeat', '30m', '--thinking-clock', '10m', '--budget-cap', '40'],
    },
    { name: 'bob', owner: 'bob@example.com', vmType: 'e2-medium', profile: [] },
  ],
} as const;

/** Runs the real CLI the way a person would, its output straight to the terminal. */
function agentsPlane(args: readonly string[], input?: string): Promise<void> {
  const bin = join(projectRoot(), 'bin', 'agents-plane.js');
  say(`$ agents-plane ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] });
    if (input !== undefined) child.stdin?.end(input);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`agents-plane ${args.join(' ')} exited ${code}`))));
  });
}

/**
 * The demo's main job, through the real CLI against the embedded stack: create a plane (VPC, subnet,
 * firewall rules, Cloud NAT, snapshot schedule), provision two agents for two people in parallel (each
 * its own service account, secrets, VM, and owner-only grants, Ready at its first healthy heartbeat;
 * Alice's with a runtime profile: Telegram and WhatsApp, a thinking clock, a monthly budget),
 * set an owner secret straight into Secret Manager, and show the fleet's status. Running it again joins
 * what exists. Returns the workflow ids worth opening in the Web UI.
 */
export async function runMainJob(_stack: DevUpResult): Promise<string[]> {
  await agentsPlane(['planes', 'create', '--name', DEMO.plane, '--project', DEMO.project, '--region', DEMO.region]);
  await Promise.all(
    DEMO.agents.map((a) => agentsPlane(['planes', 'add-agent', '--plane', DEMO.plane, '--name', a.name, '--owner', a.owner, '--vm-type', a.vmType, ...a.profile])),
  );
  // A made-up key: the owner's value goes from stdin straight to Secret Manager, never through Temporal.
  await agentsPlane(['planes', 'secrets', 'set', '--plane', DEMO.plane, '--agent', 'alice', '--key', 'ANTHROPIC_API_KEY'], 'sk-demo-not-a-real-key\n');
  await agentsPlane(['planes', 'status', '--plane', DEMO.plane]);
  return [`plane/${DEMO.plane}`, ...DEMO.agents.map((a) => `agent/${DEMO.plane}/${a.name}/provision`)];
}

async function main(): Promise<void> {
  say('Agents Plane demo: starting the embedded stack (Temporal dev server, codec endpoint, emulator, worker)');
  const stack = await devUp({ log: (line) => process.stderr.write(`  ${line}\n`) });
  say(stack.alreadyRunning ? 'the stack was already running' : `the stack is up in ${(stack.startupMs / 1000).toFixed(1)} s`);
  say(`  Temporal   ${stack.temporalAddress} (namespace ${stack.namespace})`);
  say(`  Web UI     ${stack.webUiUrl ?? '(external Temporal: use its own Web UI)'}`);
  say(`  codec      ${stack.codecEndpoint}`);
  if (stack.emulatorUrl) say(`  emulator   ${stack.emulatorUrl}`);
  if (stack.dashboardUrl) say(`  dashboard  ${stack.dashboardUrl}/`);
  const workflowIds = await runMainJob(stack);
  say('');
  if (stack.webUiUrl) {
    for (const id of workflowIds) say(`Open in the Web UI: ${stack.webUiUrl}/namespaces/${stack.namespace}/workflows/${encodeURIComponent(id)}`);
    say(`All workflows:      ${stack.webUiUrl}/namespaces/${stack.namespace}/workflows`);
  }
  say('');
  say('Try next:');
  say(`  npx agents-plane planes logs --plane ${DEMO.plane} --name alice`);
  say(`  npx agents-plane planes update-agent --plane ${DEMO.plane} --name alice --heartbeat 10m`);
  say(`  AGENTS_PLANE_EMULATOR_CALLER=alice@example.com npx agents-plane planes connect --plane ${DEMO.plane} --agent alice --channel whatsapp`);
  say(`  npx agents-plane planes remove-agent --plane ${DEMO.plane} --name bob`);
  say('The stack keeps running in the background. Stop it with:');
  say('  npx agents-plane dev down        (or: npm run agents-plane -- dev down)');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stderr.write('the stack may be partly up: `npx agents-plane dev status` shows it, `npx agents-plane dev down` stops it\n');
  process.exitCode = 1;
});
