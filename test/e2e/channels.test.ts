/**
 * Issue 8, channels, end to end (real CLI → Temporal dev server → worker process → emulator): an agent
 * whose runtime profile (instance metadata, the guest contract) asks for telegram + whatsapp.
 * - its owner sets TELEGRAM_BOT_TOKEN with `planes secrets set`; after a restart the guest has it and
 *   reports telegram connected, whatsapp unconfigured;
 * - bad input: exit 2, one line naming the flag;
 * - somebody else is refused by the IAP tunnel (exit 1, a permission error), and starts no pairing;
 * - `--timeout` expiry and a gateway that goes away mid-wait exit 1 with a clear message;
 * - `planes connect --channel whatsapp --png` as the owner shows a QR in the terminal and writes a PNG,
 *   the test "scans" it (POST /__emulator/guest { link }), connect reports connected;
 * - `planes connect --channel telegram` reports connected; `planes status` shows both connected;
 * - neither the bot token nor the gateway token is in instance metadata, serial output, any workflow
 *   history, the worker log, CLI output or the emulator inventory.
 */
import { readFile, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentName } from '../../src/domain/names.js';
import { GUEST_ATTRIBUTES, GUEST_NAMESPACE, METADATA } from '../../src/domain/guest-contract.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import type { SecretKey } from '../../src/domain/names.js';
import { waitForOperation } from '../../src/gcp/operations.js';
import { parseJson as json } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import { until } from '../support/until.js';
import { expectBadInput } from './support/bad-input.js';

const plane = planeFixture('chan');
const AGENT = 'alice1' as AgentName;
const OWNER = 'alice@example.com';
const BOT_TOKEN = '7712345678:AAH-e2e-telegram-bot-token-Zq9xWv3';
const n = agentResourceNames(plane.project, plane.name, AGENT);
const ref = { project: plane.project, zone: plane.zone, instance: n.instance };
const instancePath = `projects/${plane.project}/zones/${plane.zone}/instances/${n.instance}`;
const asOwner = { env: { AGENTS_PLANE_EMULATOR_CALLER: OWNER } };

let stack: E2EStack;
let dir: string;

/** The channels the guest publishes (guest attribute), read as an admin would. */
async function guestChannels(): Promise<Record<string, string> | undefined> {
  const [attrs] = await stack.gcp().instances.getGuestAttributes({ ...ref, queryPath: `${GUEST_NAMESPACE}/` });
  const raw = attrs.queryValue?.items?.find((i) => i.key === GUEST_ATTRIBUTES.channels)?.value;
  return raw ? (JSON.parse(raw) as Record<string, string>) : undefined;
}

async function statusChannels(): Promise<Record<string, string>> {
  const r = await stack.cli(['planes', 'status', '--plane', plane.name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json<{ planes: { agents: { name: string; channels: Record<string, string> }[] }[] }>(r).planes[0]!.agents.find((a) => a.name === AGENT)!.channels;
}

beforeAll(async () => {
  stack = await E2EStack.start('channels', { latencyScale: 0.005 });
  dir = await mkdtemp(join(tmpdir(), 'ap-channels-'));
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', AGENT, '--owner', OWNER, '--channels', 'telegram,whatsapp', '--json']);
  expect(added.code, added.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('channels', { timeout: 180_000 }, () => {
  it('telegram connects from its bot token alone: set by the owner, read at the next boot', async () => {
    expect(await until('channels reported', guestChannels)).toEqual({ telegram: 'unconfigured', whatsapp: 'unconfigured' });
    const early = await stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'telegram'], asOwner);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('set TELEGRAM_BOT_TOKEN with `planes secrets set');

    const set = await stack.cli(['planes', 'secrets', 'set', '--plane', plane.name, '--agent', AGENT, '--key', 'TELEGRAM_BOT_TOKEN', '--json'], { input: `${BOT_TOKEN}\n` });
    expect(set.code, set.stderr).toBe(0);
    const restarted = await stack.cli(['planes', 'restart-agent', '--plane', plane.name, '--name', AGENT, '--json']);
    expect(restarted.code, restarted.stderr).toBe(0);
    await until('telegram connected', async () => ((await guestChannels())?.telegram === 'connected' ? true : undefined));
    expect(await statusChannels()).toEqual({ telegram: 'connected', whatsapp: 'unconfigured' });

    const connected = await stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'telegram', '--json'], asOwner);
    expect(connected.code, connected.stderr).toBe(0);
    expect(json(connected)).toEqual({ plane: plane.name, agent: AGENT, channel: 'telegram', state: 'connected', png: null });
  });

  it('refuses bad input with exit 2 and one line naming the flag', async () => {
    const base = ['planes', 'connect', '--plane', plane.name, '--agent', AGENT];
    const runs = await Promise.all(
      [
        [[...base, '--channel', 'sms'], '--channel'],
        [['planes', 'connect', '--plane', plane.name, '--agent', 'nobody', '--channel', 'whatsapp'], '--agent'],
        [[...base, '--channel', 'telegram', '--png', join(dir, 't.png')], '--png'],
        [[...base, '--channel', 'whatsapp', '--png', join(dir, 'qr.jpg')], '--png'],
        [[...base, '--channel', 'whatsapp', '--timeout', 'soon'], '--timeout'],
      ].map(async ([args, field]) => ({ run: await stack.cli(args as string[], asOwner), field: field as string })),
    );
    for (const { run, field } of runs) expectBadInput(run, field);
  });

  it('refuses a caller who is not the owner at the IAP tunnel (exit 1, permission error), starting no pairing', async () => {
    const r = await stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'whatsapp'], { env: { AGENTS_PLANE_EMULATOR_CALLER: 'mallory@example.com' } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: permission denied: mallory@example.com may not open an IAP tunnel to instance /);
    const j = await stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'whatsapp', '--json'], { env: { AGENTS_PLANE_EMULATOR_CALLER: 'mallory@example.com' } });
    expect(j.code).toBe(1);
    expect(json<{ error: { code: string } }>(j).error.code).toBe('PERMISSION_DENIED');
    expect((await guestChannels())?.whatsapp).toBe('unconfigured');
    // Nor can anyone link a QR that is not showing.
    const res = await fetch(`${stack.emulator.url}/__emulator/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: instancePath, link: 'whatsapp' }) });
    expect(res.status).toBe(400);
  });

  it('gives up at --timeout when nobody scans: exit 1 naming the timeout', async () => {
    const r = await stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'whatsapp', '--timeout', '2s', '--json'], asOwner);
    expect(r.code, r.stderr).toBe(1);
    expect(json<{ error: { code: string; message: string } }>(r).error).toMatchObject({ code: 'PAIRING_TIMEOUT', message: expect.stringContaining('not linked within 2s') as unknown });
  });

  it('exits 1 with a clear message when the gateway goes away mid-wait (the guest hangs)', async () => {
    const png = join(dir, 'dropped.png');
    const running = stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'whatsapp', '--png', png, '--timeout', '90s'], asOwner);
    await until('the PNG', async () => ((await stat(png).catch(() => undefined))?.size ? true : undefined));
    const hang = await fetch(`${stack.emulator.url}/__emulator/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: instancePath, heartbeat: 'hang' }) });
    expect(hang.status, await hang.text()).toBe(200);
    const r = await running;
    const resume = await fetch(`${stack.emulator.url}/__emulator/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: instancePath, heartbeat: 'resume' }) });
    expect(resume.status, await resume.text()).toBe(200);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^error: the agent's gateway on instance \S+ closed the connection during web\.login\.wait \(1006\); is the agent running\? see planes status$/);
  });

  it('pairs WhatsApp: a QR in the terminal and as PNG, the simulated scan links it, connect reports connected', async () => {
    const png = join(dir, 'whatsapp.png');
    const running = stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'whatsapp', '--png', png, '--timeout', '90s'], asOwner);
    await until('the pairing QR', async () => ((await guestChannels())?.whatsapp === 'pairing' ? true : undefined));
    await until('the PNG', async () => ((await stat(png).catch(() => undefined))?.size ? true : undefined));
    const scanned = await fetch(`${stack.emulator.url}/__emulator/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: instancePath, link: 'whatsapp' }) });
    expect(scanned.status, await scanned.text()).toBe(200);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`whatsapp connected to agent ${AGENT}`);
    // The terminal QR: a block of half-block rows of one width, at least a version-1 QR plus quiet zone.
    const qrLines = r.stderr.split('\n').filter((l) => /^[█▀▄ ]+$/.test(l) && l.includes('█'));
    expect(qrLines.length).toBeGreaterThanOrEqual(12);
    expect(new Set(qrLines.map((l) => l.length)).size).toBe(1);
    expect(qrLines[0]!.length).toBeGreaterThanOrEqual(25);
    expect(r.stderr).toContain('Scan this QR in WhatsApp');
    const image = await readFile(png);
    expect(image.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    expect(await guestChannels()).toEqual({ telegram: 'connected', whatsapp: 'connected' });
    const again = await stack.cli(['planes', 'connect', '--plane', plane.name, '--agent', AGENT, '--channel', 'whatsapp', '--json'], asOwner);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ channel: 'whatsapp', state: 'connected' });
  });

  it('status shows both channels connected, for machines and for people', async () => {
    expect(await statusChannels()).toEqual({ telegram: 'connected', whatsapp: 'connected' });
    const human = await stack.cli(['planes', 'status', '--plane', plane.name]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('CHANNELS');
    expect(human.stdout).toMatch(new RegExp(`${AGENT} .*telegram:connected whatsapp:connected`));
  });

  it('puts no channel or gateway token in metadata, serial output, history, logs, CLI output or inventory', async () => {
    const gcp = stack.gcp();
    const [version] = await gcp.secrets.accessSecretVersion({ name: `${n.secretName('OPENCLAW_GATEWAY_TOKEN' as SecretKey)}/versions/latest` });
    const gatewayToken = Buffer.from(version.payload!.data as Uint8Array).toString('utf8');
    expect(gatewayToken.length).toBeGreaterThan(16);
    const [vm] = await gcp.instances.get(ref);
    const [serial] = await gcp.instances.getSerialPortOutput({ ...ref, port: 1 });
    for (const secret of [BOT_TOKEN, gatewayToken]) {
      expect(JSON.stringify(vm.metadata)).not.toContain(secret);
      expect(serial.contents ?? '').not.toContain(secret);
      await stack.expectNoSecretAnywhere(secret);
    }
    expect(serial.contents).toContain('whatsapp: linked');
  });
});
