/**
 * The same add-agent twice at once is one agent; the same name with another owner is refused (exit 2).
 * A corpus of bad inputs exits 2 with one line naming the field, starts no workflow and creates nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';

const plane = planeFixture('idem');
let stack: E2EStack;

beforeAll(async () => {
  stack = await E2EStack.start('idem');
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('idempotency', () => {
  it('runs the same add-agent twice at once as one agent', async () => {
    const args = ['planes', 'add-agent', '--plane', plane.name, '--name', 'dana', '--owner', 'dana@example.com', '--json'];
    const [a, b] = await Promise.all([stack.cli(args), stack.cli(args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect([json(a).joined, json(b).joined].sort()).toEqual([false, true]);
    const instances = (await stack.inventory()).filter((r) => r.kind === 'compute.instances' && r.name.endsWith(`/ap-${plane.name}-dana`));
    expect(instances).toHaveLength(1);
    const accounts = (await stack.inventory()).filter((r) => r.name.includes(`ap-${plane.name}-dana@`));
    expect(accounts).toHaveLength(1);
  });

  it('refuses the same name with another owner (exit 2, names the field)', async () => {
    const before = await stack.inventorySignature();
    const r = await stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', 'dana', '--owner', 'mallory@example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: invalid --name: agent dana already exists in plane ${plane.name} with another owner`);
    expect(await stack.inventorySignature()).toBe(before);
  });
});

const LONG = 'a'.repeat(64);
const BAD_INPUTS: { args: string[]; field: string }[] = [
  { args: ['planes', 'create', '--name', 'Bad_Name', '--project', 'acme-agents', '--region', 'us-central1'], field: '--name' },
  { args: ['planes', 'create', '--name', LONG, '--project', 'acme-agents', '--region', 'us-central1'], field: '--name' },
  { args: ['planes', 'create', '--name', 'ok', '--project', 'x', '--region', 'us-central1'], field: '--project' },
  { args: ['planes', 'create', '--name', 'ok', '--project', 'acme-agents', '--region', 'moon-base1'], field: '--region' },
  { args: ['planes', 'create', '--name', 'ok;reboot', '--project', 'acme-agents', '--region', 'us-central1'], field: '--name' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve$(id)', '--owner', 'eve@example.com'], field: '--name' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', LONG, '--owner', 'eve@example.com'], field: '--name' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', '-eve', '--owner', 'eve@example.com'], field: '--name' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'not-an-email'], field: '--owner' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'eve@example.com`whoami`'], field: '--owner' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'eve@exa mple.com'], field: '--owner' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'eve@example.com', '--vm-type', 'm9-ultramem-9000'], field: '--vm-type' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'eve@example.com', '--vm-type', 'e2-small && rm -rf /'], field: '--vm-type' },
  { args: ['planes', 'add-agent', '--plane', 'no-such-plane', '--name', 'eve', '--owner', 'eve@example.com'], field: '--plane' },
  { args: ['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'eve@example.com', '--agent-version', 'latest'], field: '--agent-version' },
  { args: ['planes', 'remove-agent', '--plane', 'IDEM', '--name', 'eve'], field: '--plane' },
  { args: ['planes', 'secrets', 'set', '--plane', 'idem', '--agent', 'dana', '--key', 'OPENCLAW_GATEWAY_TOKEN'], field: '--key' },
  { args: ['planes', 'secrets', 'set', '--plane', 'idem', '--agent', 'dana', '--key', 'lower-case'], field: '--key' },
  { args: ['planes', 'destroy', '--plane', 'idem'], field: '--force' },
];

describe('bad input', () => {
  it.each(BAD_INPUTS)('$args.1 $field: exit 2, one line naming the field, nothing started or created', async ({ args, field }) => {
    const before = await stack.inventorySignature();
    const workflowsBefore = await stack.workflowCount();
    const r = await stack.cli(args, { input: 'value' });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: invalid ${field.replace('-', '\\-')}: `));
    expect(r.stdout).toBe('');
    expect(await stack.workflowCount()).toBe(workflowsBefore);
    expect(await stack.inventorySignature()).toBe(before);
  });

  it('reports bad input as JSON under --json', async () => {
    const r = await stack.cli(['planes', 'add-agent', '--plane', 'idem', '--name', 'eve', '--owner', 'nope', '--json']);
    expect(r.code).toBe(2);
    expect(json(r)).toEqual({ error: { code: 'INVALID_INPUT', field: '--owner', message: 'invalid --owner: must be an email address like alice@example.com' } });
  });
});
