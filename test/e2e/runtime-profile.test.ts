/**
 * Issue 8, agent runtime profiles, end to end (real CLI → Temporal dev server → worker process →
 * emulator with its guest simulator), on one plane with a fast health watch:
 * - bad profile flags: exit 2, one line naming the flag, nothing started;
 * - add-agent with a profile (telegram + whatsapp, heartbeat, tools, budget): the OpenClaw config the
 *   plane renders reaches the guest, which reports the profile's digest applied;
 * - a channel token set with `planes secrets set --key TELEGRAM_BOT_TOKEN` is read by the guest and
 *   appears in no metadata, workflow history, worker log, CLI output or inventory;
 * - `update-agent --heartbeat 10m` is reported back by the running agent, on the same VM;
 * - a budget crossed in the simulator: alerts at 80%, 95% and 100% in `planes status`, then the policy
 *   action: degrade (economy tier, same VM) for one agent, pause (VM stopped) for another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson as json, type CliRun } from '../setup/cli.js';
import { E2EStack, plane as planeFixture } from './support/stack.js';
import type { AgentName } from '../../src/domain/names.js';
import { METADATA } from '../../src/domain/guest-contract.js';
import { buildRuntimeOpenClawConfig } from '../../src/domain/openclaw-config.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { MODEL_TIER_MODELS, parseRuntimeProfile } from '../../src/domain/runtime-profile.js';
import { renderRuntime } from '../../src/domain/runtime-metadata.js';
import { planeWorkflowId } from '../../src/domain/workflow-ids.js';
import { planeStatusQuery, type RosterEntry } from '../../src/workflows/plane-messages.js';
import { expectBadInput } from './support/bad-input.js';
import { until as untilDefined } from '../support/until.js';

const plane = planeFixture('rtp');
const CHAT = 'chat1' as AgentName;
const THRIFT = 'thrift1' as AgentName;
const TOKEN = 'tg-bot-token-7741:AAHq-e2e-secret-do-not-leak';

let stack: E2EStack;

const names = (a: AgentName) => agentResourceNames(plane.project, plane.name, a);
const instancePath = (a: AgentName) => `projects/${plane.project}/zones/${plane.zone}/instances/${names(a).instance}`;

async function roster(a: AgentName): Promise<RosterEntry | undefined> {
  const status = await stack.client.workflow.getHandle(planeWorkflowId(plane.name)).query(planeStatusQuery);
  return status.agents.find((e) => e.spec.name === a);
}

/** The shared poll, with this suite's patience (the budget and reconfigure steps wait on the guest). */
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> => untilDefined(what, probe, timeoutMs, 250);

async function instance(a: AgentName) {
  const [vm] = await stack.gcp().instances.get({ project: plane.project, zone: plane.zone, instance: names(a).instance });
  return vm;
}

async function guest(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/__emulator/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.text()).toBe(200);
}

interface GuestRuntimeView {
  instance: string;
  id: string;
  applied: { digest: string; heartbeatSeconds: number };
  config: unknown;
  spend: { month: string; usd: number; tokens: number };
}

async function guestRuntime(a: AgentName): Promise<GuestRuntimeView | undefined> {
  const res = await fetch(`${stack.emulator.url}/__emulator/guest/runtime`);
  const body = (await res.json()) as { instances: GuestRuntimeView[] };
  return body.instances.find((i) => i.instance === instancePath(a));
}

interface RuntimeStatus {
  applied: boolean;
  appliedDigest: string | null;
  desiredDigest: string;
  heartbeatSeconds: number | null;
  profile: { modelTier: string; heartbeatMs: number; channels: string[] };
  spend: { usd: number } | null;
  budget: { capUsdPerMonth: number; action: string; usedFraction: number } | null;
  alerts: { label: string; threshold: number; action: string | null; actionOutcome: string | null }[];
}
interface StatusRow {
  name: string;
  state: string;
  instanceStatus: string | null;
  runtime: RuntimeStatus | null;
}

async function statusRun(): Promise<CliRun> {
  const r = await stack.cli(['planes', 'status', '--plane', plane.name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function statusRow(a: AgentName): Promise<StatusRow> {
  return json<{ planes: { agents: StatusRow[] }[] }>(await statusRun()).planes[0]!.agents.find((row) => row.name === a)!;
}

async function agentWorkflows(a: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}' AND WorkflowId STARTS_WITH 'agent/${plane.name}/${a}/'` })) ids.push(w.workflowId);
  return ids.sort();
}

const CHAT_FLAGS = [
  '--channels', 'telegram,whatsapp', '--channel-owner', 'telegram=123456789',
  '--heartbeat', '45m', '--tools', 'read,group:web', '--budget-cap', '10', '--budget-action', 'degrade',
];

beforeAll(async () => {
  stack = await E2EStack.start('rtp', { latencyScale: 0.005 });
  const created = await stack.cli([
    'planes', 'create', '--name', plane.name, '--project', plane.project, '--region', plane.region,
    '--boot-timeout', '20s', '--health-check-interval', '500ms', '--default-heartbeat', '2h', '--default-tools', 'profile:messaging', '--json',
  ]);
  expect(created.code, created.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('agent runtime profiles', { timeout: 240_000 }, () => {
  it('refuses bad profile flags with exit 2 and one line naming the flag, starting nothing', async () => {
    const add = (extra: string[]) => ['planes', 'add-agent', '--plane', plane.name, '--name', 'badrt', '--owner', 'badrt@example.com', ...extra];
    const cases: [string[], string][] = [
      [add(['--heartbeat', '30s']), '--heartbeat'],
      [add(['--channels', 'telegram,sms']), '--channels'],
      [add(['--model-tier', 'gold']), '--model-tier'],
      [add(['--thinking-clock', '5m:not a model']), '--thinking-clock'],
      [add(['--tools', 'read;rm']), '--tools'],
      [add(['--budget-cap', '-3']), '--budget-cap'],
      [add(['--budget-cap', '5', '--budget-action', 'explode']), '--budget-action'],
      [add(['--channel-owner', 'whatsapp=555']), '--channel-owner'],
      [['planes', 'update-agent', '--plane', plane.name, '--name', 'badrt'], '--name'],
      [['planes', 'update-agent', '--plane', plane.name, '--name', 'badrt', '--heartbeat', '25h'], '--heartbeat'],
      [['planes', 'update-agent', '--plane', plane.name, '--name', 'nobody', '--heartbeat', '10m'], '--name'],
      [['planes', 'create', '--name', 'rtbad', '--project', plane.project, '--region', plane.region, '--default-heartbeat', '5s'], '--default-heartbeat'],
    ];
    const runs = await Promise.all(cases.map(async ([args, field]) => ({ r: await stack.cli(args), field })));
    for (const { r, field } of runs) expectBadInput(r, field);
    expect(await agentWorkflows('badrt')).toEqual([]);
    expect(await agentWorkflows('nobody')).toEqual([]);
    expect(await stack.client.workflow.getHandle(planeWorkflowId('rtbad' as never)).describe().catch(() => 'absent')).toBe('absent');
  });

  it('add-agent with a profile: the rendered OpenClaw config reaches the guest, which reports it applied', async () => {
    const [chat, thrift] = await Promise.all([
      stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', CHAT, '--owner', 'chat@example.com', ...CHAT_FLAGS, '--json']),
      stack.cli([
        'planes', 'add-agent', '--plane', plane.name, '--name', THRIFT, '--owner', 'thrift@example.com',
        '--model-tier', 'economy', '--budget-cap', '5', '--budget-action', 'pause', '--json',
      ]),
    ]);
    expect(chat.code, chat.stderr).toBe(0);
    expect(thrift.code, thrift.stderr).toBe(0);

    // Over the plane's default (--default-heartbeat 2h --default-tools profile:messaging).
    const planeDefault = parseRuntimeProfile({ heartbeat: '2h', tools: 'profile:messaging' });
    const profile = parseRuntimeProfile(
      { channels: 'telegram,whatsapp', channelOwners: 'telegram=123456789', heartbeat: '45m', tools: 'read,group:web', budgetCap: '10', budgetAction: 'degrade' },
      planeDefault,
    );
    expect((await roster(THRIFT))?.spec.runtime).toEqual(parseRuntimeProfile({ modelTier: 'economy', budgetCap: '5', budgetAction: 'pause' }, planeDefault));
    expect((await roster(THRIFT))?.spec.runtime).toMatchObject({ heartbeatMs: 7_200_000, tools: ['profile:messaging'] });
    expect((await roster(CHAT))?.spec.runtime).toEqual(profile);
    const applied = await until('the guest to apply the profile', async () => {
      const g = await guestRuntime(CHAT);
      return g?.applied.digest === renderRuntime(profile).digest ? g : undefined;
    });
    expect(applied.config).toEqual(buildRuntimeOpenClawConfig(profile));
    expect(applied.applied.heartbeatSeconds).toBe(45 * 60);
    expect(applied.config).toMatchObject({
      channels: {
        telegram: { enabled: true, dmPolicy: 'allowlist', allowFrom: ['123456789'], botToken: { source: 'env', id: 'TELEGRAM_BOT_TOKEN' } },
        whatsapp: { enabled: true, dmPolicy: 'disabled' },
        signal: { enabled: false },
      },
      tools: { allow: ['read', 'group:web'] },
    });

    const row = await until('status to show the applied profile', async () => {
      const r = await statusRow(CHAT);
      return r.runtime?.applied ? r : undefined;
    });
    expect(row.state).toBe('Ready');
    expect(row.runtime).toMatchObject({ heartbeatSeconds: 2700, budget: { capUsdPerMonth: 10, action: 'degrade' }, alerts: [] });
    // The telegram channel brings its credential's secret; the agent without channels has none.
    const vm = await instance(CHAT);
    const secretNames = vm.metadata?.items?.find((i) => i.key === METADATA.secretNames)?.value ?? '';
    expect(secretNames).toContain(names(CHAT).secretName('TELEGRAM_BOT_TOKEN' as never));
    const thriftNames = (await instance(THRIFT)).metadata?.items?.find((i) => i.key === METADATA.secretNames)?.value ?? '';
    expect(thriftNames).not.toContain('TELEGRAM_BOT_TOKEN'.toLowerCase());
  });

  it('update-agent --heartbeat 10m reaches the running agent on the same VM', async () => {
    const before = await instance(CHAT);
    const token = await stack.cli(['planes', 'secrets', 'set', '--plane', plane.name, '--agent', CHAT, '--key', 'TELEGRAM_BOT_TOKEN', '--json'], { input: `${TOKEN}\n` });
    expect(token.code, token.stderr).toBe(0);

    const r = await stack.cli(['planes', 'update-agent', '--plane', plane.name, '--name', CHAT, '--heartbeat', '10m', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ state: string; unchanged: boolean; digest: string; profile: { heartbeatMs: number; channels: string[] } }>(r);
    expect(out).toMatchObject({ state: 'Ready', unchanged: false, profile: { heartbeatMs: 600_000, channels: ['telegram', 'whatsapp'] } });

    const row = await statusRow(CHAT);
    expect(row.runtime).toMatchObject({ applied: true, appliedDigest: out.digest, heartbeatSeconds: 600 });
    const after = await instance(CHAT);
    expect(after.id).toBe(before.id);
    expect(after.status).toBe('RUNNING');
    expect((await guestRuntime(CHAT))?.applied).toEqual({ digest: out.digest, heartbeatSeconds: 600 });

    // The same change again is a no-op.
    const again = await stack.cli(['planes', 'update-agent', '--plane', plane.name, '--name', CHAT, '--heartbeat', '10m', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(json<{ unchanged: boolean }>(again).unchanged).toBe(true);
  });

  it('a budget crossed: alerts at 80%, 95%, 100% in status, then the degrade action on the same VM', async () => {
    const vmBefore = await instance(CHAT);
    const alertsOf = async (n: number) => {
      const row = await statusRow(CHAT);
      return (row.runtime?.alerts.length ?? 0) >= n ? row : undefined;
    };
    await guest({ instance: instancePath(CHAT), addSpendUsd: 8.2 });
    let row = await until('the 80% alert', () => alertsOf(1));
    expect(row.runtime?.alerts.map((a) => a.label)).toEqual(['80%']);
    expect(row.runtime?.spend?.usd).toBeCloseTo(8.2);
    expect(row.runtime?.budget?.usedFraction).toBeCloseTo(0.82);

    await guest({ instance: instancePath(CHAT), addSpendUsd: 1.4 });
    row = await until('the 95% alert', () => alertsOf(2));
    expect(row.runtime?.alerts.map((a) => a.label)).toEqual(['80%', '95%']);

    await guest({ instance: instancePath(CHAT), addSpendUsd: 0.5 });
    row = await until('the 100% alert', () => alertsOf(3));
    expect(row.runtime?.alerts[2]).toMatchObject({ label: '100%', action: 'degrade' });
    expect(row.runtime?.alerts[2]?.actionOutcome).toContain('economy');

    const degraded = await until('the economy tier applied', async () => {
      const r = await statusRow(CHAT);
      return r.state === 'Ready' && r.runtime?.profile.modelTier === 'economy' && r.runtime.applied ? r : undefined;
    });
    expect(degraded.runtime?.profile.heartbeatMs).toBe(600_000);
    const g = await guestRuntime(CHAT);
    expect(g?.config).toMatchObject({ agents: { defaults: { model: { primary: MODEL_TIER_MODELS.economy } } } });
    expect((await instance(CHAT)).id).toBe(vmBefore.id);

    // Human status says it too (never silent), and each alert is raised once.
    const human = await stack.cli(['planes', 'status', '--plane', plane.name]);
    expect(human.stdout).toContain(`ALERT ${CHAT}: 100% of its $10 monthly budget reached`);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await statusRow(CHAT)).runtime?.alerts).toHaveLength(3);
  });

  it('a budget crossed at once on a pause policy: every alert, then the agent paused', async () => {
    await guest({ instance: instancePath(THRIFT), addSpendUsd: 6 });
    const row = await until('the agent paused', async () => {
      const r = await statusRow(THRIFT);
      return r.state === 'Paused' ? r : undefined;
    });
    expect(row.instanceStatus).toBe('TERMINATED');
    expect(row.runtime?.alerts.map((a) => [a.label, a.action])).toEqual([
      ['80%', null],
      ['95%', null],
      ['100%', 'pause'],
    ]);
    expect(row.runtime?.alerts[2]?.actionOutcome).toContain('pausing');
  });

  it('cost-report shows the spend the agents report, with their alerts', async () => {
    const r = await stack.cli(['planes', 'cost-report', '--plane', plane.name, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const spend = json<{ modelSpend: { agent: string; usd: number; capUsdPerMonth: number | null; alerts: string[] }[] }>(r).modelSpend;
    const chat = spend.find((s) => s.agent === CHAT)!;
    expect(chat.usd).toBeCloseTo(10.1);
    expect(chat).toMatchObject({ capUsdPerMonth: 10, alerts: ['80%', '95%', '100%'] });
    expect(spend.find((s) => s.agent === THRIFT)).toMatchObject({ usd: 6, capUsdPerMonth: 5 });
    const human = await stack.cli(['planes', 'cost-report', '--plane', plane.name]);
    expect(human.stdout).toContain('model spend reported by the agents');
  });

  it('the channel token is in no metadata, history, worker log, CLI output or inventory', async () => {
    for (const a of [CHAT, THRIFT]) {
      expect(JSON.stringify((await instance(a)).metadata)).not.toContain(TOKEN);
    }
    await stack.expectNoSecretAnywhere(TOKEN);
  });
});
