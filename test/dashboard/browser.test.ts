/**
 * Issue 7 in a real headless browser (Debian's chromium through playwright-core) against a real stack:
 * CLI → Temporal → worker → emulator (whose guest simulator reports heartbeats), and the dashboard
 * reading it. The page lists the demo plane's agents with their states; an agent whose heartbeat stops
 * turns Unhealthy without a reload; a real upgrade started with `planes upgrade` (its canary failing the
 * health check) advances on the page from canary to halted and rolled back; no secret value
 * set with `planes secrets set` ever reaches the page or its API. Screenshots of the overview and of a
 * plane during an upgrade are written to the run folder, and to docs/ with AGENTS_PLANE_UPDATE_SCREENSHOTS=1.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaneView } from '../../src/dashboard/fleet-snapshot.js';
import type { RunningDashboard } from '../../src/dashboard/index.js';
import { HEARTBEAT_STALE_AFTER_MS } from '../../src/domain/guest-contract.js';
import { agentResourceNames } from '../../src/domain/resource-names.js';
import { waitForOperation } from '../../src/gcp/operations.js';
import type { AgentName, PlaneName, ProjectId, SecretKey } from '../../src/domain/names.js';
import { projectRoot } from '../../src/runtime/project-root.js';
import { parseJson as json } from '../setup/cli.js';
import { testDir } from '../setup/harness.js';
import { launchChromium, type TestBrowser } from '../support/chromium.js';
import { DashboardStack } from './support/dashboard-stack.js';
import { openEventStream } from './support/http.js';

const PROJECT = 'acme-agents' as ProjectId;
interface PlaneFixture {
  readonly name: PlaneName;
  readonly region: string;
  readonly zone: string;
  readonly agents: readonly (readonly [string, string])[];
}
const DEMO: PlaneFixture = {
  name: 'demo' as PlaneName,
  region: 'us-central1',
  zone: 'us-central1-a',
  agents: [['alice', 'alice@example.com'], ['bob', 'bob@example.com'], ['carol', 'carol@example.org']],
};
const RESEARCH: PlaneFixture = { name: 'research' as PlaneName, region: 'europe-west1', zone: 'europe-west1-b', agents: [['dana', 'dana@example.com'], ['eli', 'eli@example.org']] };
const SECRET_VALUE = 'sk-ant-DASHBOARD-canary-5e1d0c7b93';
/** A version the emulator's guests install but never report healthy on. */
const BROKEN_VERSION = '2026.10.1-broken';

let stack: DashboardStack;
let dashboard: RunningDashboard;
let browser: TestBrowser;
let page: Page;
let shotsDir: string;

async function createPlane(plane: PlaneFixture): Promise<void> {
  const created = await stack.cli(['planes', 'create', '--name', plane.name, '--project', PROJECT, '--region', plane.region, '--json']);
  expect(created.code, created.stderr).toBe(0);
  const added = await Promise.all(
    plane.agents.map(([name, owner]) => stack.cli(['planes', 'add-agent', '--plane', plane.name, '--name', name, '--owner', owner, '--vm-type', name === 'carol' ? 'e2-medium' : 'e2-small', '--json'])),
  );
  for (const r of added) {
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).state).toBe('Ready');
  }
}

/** A snapshot of the agent's boot disk, as a backup run takes it (the page shows the newest per agent). */
async function backUp(plane: PlaneFixture, agent: string): Promise<void> {
  const gcp = stack.gcp();
  const disk = agentResourceNames(PROJECT, plane.name, agent as AgentName).bootDisk;
  const [operation] = await gcp.disks.createSnapshot({ project: PROJECT, zone: plane.zone, disk, snapshotResource: { name: `${disk}-backup-1` } });
  await waitForOperation(gcp, PROJECT, operation, 'snapshot a boot disk');
}

/** Screenshots go to the run folder always, and replace the README's when asked to. */
async function screenshot(name: string): Promise<void> {
  // The pointer rests on blank page, not on the link it last clicked (which would show hovered).
  await page.mouse.move(720, 880);
  await page.screenshot({ path: join(shotsDir, name), fullPage: true, animations: 'disabled' });
  if (process.env.AGENTS_PLANE_UPDATE_SCREENSHOTS === '1') {
    await mkdir(join(projectRoot(), 'docs'), { recursive: true });
    await page.screenshot({ path: join(projectRoot(), 'docs', name), fullPage: true, animations: 'disabled' });
  }
}

const row = (agent: string) => page.locator(`[data-testid=agent-row][data-agent=${agent}]`);

beforeAll(async () => {
  shotsDir = await testDir('dashboard-shots');
  stack = await DashboardStack.start();
  await Promise.all([createPlane(DEMO), createPlane(RESEARCH)]);
  await backUp(DEMO, 'alice');
  await backUp(DEMO, 'carol');
  dashboard = await stack.startDashboard({ intervalMs: 1_000 });
  browser = await launchChromium({ viewport: { width: 1440, height: 900 } });
  page = await browser.context.newPage();
  page.on('console', (message) => {
    // A CSP or Trusted Types violation, or any script error, fails the suite in afterAll.
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}, 240_000);

const consoleErrors: string[] = [];

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  expect(consoleErrors).toEqual([]);
}, 60_000);

describe('the dashboard in a browser', () => {
  it('lists every plane on the overview and the demo plane’s agents with their states', async () => {
    await page.goto(dashboard.url);
    await expect.poll(() => page.locator('[data-testid=plane-row]').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('[data-testid=plane-row][data-plane=demo] td').nth(3).textContent()).toBe('3');
    await expect.poll(() => page.locator('[data-testid=total-ready]').textContent(), { timeout: 20_000 }).toBe('5');

    // In-page navigation to the plane: the event stream stays open, nothing reloads.
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same document'));
    await page.locator('[data-testid=plane-row][data-plane=demo] a[data-nav]').first().click();
    await expect.poll(() => page.locator('[data-testid=agent-row]').count(), { timeout: 10_000 }).toBe(3);
    expect(page.url()).toBe(`${dashboard.url}planes/demo`);
    for (const [name, owner] of DEMO.agents) {
      expect(await row(name).getAttribute('data-state')).toBe('Ready');
      expect(await row(name).textContent()).toContain(owner);
      expect(await row(name).locator('[data-testid=agent-version]').textContent()).toMatch(/\d+\.\d+\.\d+/);
      expect(await row(name).locator('[data-testid=agent-health]').textContent()).toMatch(/heartbeat \d+s ago/);
    }
    expect(await row('carol').textContent()).toContain('e2-medium');
    // Backups: the newest snapshot of each boot disk.
    expect(await row('alice').locator('[data-testid=agent-backup]').textContent()).toMatch(/^\d+s ago$/);
    expect(await row('bob').locator('[data-testid=agent-backup]').textContent()).toBe('none yet');
    const link = row('alice').locator('[data-testid=workflow-link]');
    expect(await link.getAttribute('href')).toBe(`${stack.server.webUiUrl}/namespaces/default/workflows/${encodeURIComponent('agent/demo/alice/provision')}`);
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same document');
  });

  it("shows a real upgrade's progress advancing on the page: canary running, then halted and rolled back", async () => {
    // From the version the agents really run to one the emulator's guests fail the health check on.
    const plane = (await (await fetch(new URL('/api/planes/demo', dashboard.url))).json()) as PlaneView;
    const running = plane.agents[0]!.agentVersion!;
    await stack.emulator.admin('guest', { failingVersions: [BROKEN_VERSION] });
    // The health timeout is how long the canary stays on the page as running before the halt.
    const started = await stack.cli([
      'planes', 'upgrade', '--plane', DEMO.name, '--version', BROKEN_VERSION,
      '--canary', '1', '--max-unavailable', '1', '--health-timeout', '20s', '--no-wait', '--json',
    ]);
    expect(started.code, started.stderr).toBe(0);
    const workflowId = `upgrade/${DEMO.name}/1`;
    expect(json(started)).toMatchObject({ workflowId });

    // The canary (alice, first by name) is being upgraded; the waves wait.
    const canary = page.locator('[data-testid=canary]');
    const agentState = (agent: string) => page.locator(`[data-testid=upgrade-agent][data-agent=${agent}]`).getAttribute('data-state');
    await expect.poll(() => agentState('alice'), { timeout: 15_000 }).toBe('upgrading');
    expect(await canary.getAttribute('data-state')).toBe('running');
    expect(await page.locator('[data-testid=upgrade-step]').getAttribute('data-step')).toBe('1');
    expect(await page.locator('[data-testid=upgrade-versions]').textContent()).toBe(`${running} → ${BROKEN_VERSION}`);
    expect(await page.locator('[data-testid=upgrade-state]').textContent()).toBe('Running');
    expect(await page.locator('[data-testid=wave]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['pending', 'pending']);
    expect(await agentState('bob')).toBe('pending');
    expect(await agentState('carol')).toBe('pending');
    expect(await page.locator('[data-testid=upgrade-panel] [data-testid=workflow-link]').getAttribute('href')).toBe(
      `${stack.server.webUiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
    );
    await screenshot('dashboard-plane-upgrade.png');
    // The overview shows the running upgrade too (in-page there and back).
    await page.locator('a[data-nav][href="/"]').first().click();
    await expect.poll(() => page.locator('[data-testid=plane-row][data-plane=demo] [data-testid=upgrade-summary]').textContent(), { timeout: 10_000 }).toBe('step 1/3');
    await screenshot('dashboard-overview.png');
    await page.locator('[data-testid=plane-row][data-plane=demo] a[data-nav]').first().click();

    // The canary never reports healthy on the broken version: the rollout halts and alice goes back.
    await expect.poll(() => page.locator('[data-testid=upgrade-state]').textContent(), { timeout: 60_000, interval: 500 }).toBe('Rolled back');
    expect(await page.locator('[data-testid=upgrade-halted]').textContent()).toContain('AGENT_NOT_HEALTHY');
    expect(await canary.getAttribute('data-state')).toBe('rolled-back');
    expect(await agentState('alice')).toBe('rolled-back');
    // The workflow closes (Failed, UPGRADE_HALTED) just after its progress says rolled back.
    await expect.poll(() => page.locator('[data-testid=upgrade-panel]').getAttribute('data-status'), { timeout: 20_000 }).toBe('Failed');
    expect(await page.locator('[data-testid=upgrade-rolled-back]').textContent()).toBe(`Rolled back to ${running}`);
    expect(await page.locator('[data-testid=wave]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['pending', 'pending']);
    // And the agent row itself runs the old version again.
    await expect.poll(async () => (await row('alice').locator('[data-testid=agent-version]').textContent())?.trim(), { timeout: 20_000 }).toBe(running);
  }, 120_000);

  it('never shows a secret value set through `planes secrets set`, in the page or its API', async () => {
    const set = await stack.cli(['planes', 'secrets', 'set', '--plane', DEMO.name, '--agent', 'alice', '--key', 'ANTHROPIC_API_KEY', '--json'], {
      input: `${SECRET_VALUE}\n`,
    });
    expect(set.code, set.stderr).toBe(0);
    // The value really is in the cloud: the checks below could find it if anything read it.
    const secretName = agentResourceNames(PROJECT, DEMO.name, 'alice' as AgentName).secretName('ANTHROPIC_API_KEY' as SecretKey);
    const [version] = await stack.gcp().secrets.accessSecretVersion({ name: `${secretName}/versions/latest` });
    expect(Buffer.from(version.payload?.data as Uint8Array).toString()).toBe(SECRET_VALUE);

    const stream = await openEventStream(dashboard.url);
    const seen: string[] = [];
    try {
      // Two refreshes after the secret was set, so they were read with it in place.
      await expect.poll(() => stream.snapshots().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      for (const path of ['/', '/planes/demo', '/api/fleet', '/api/planes/demo', '/api/planes/research', '/healthz', '/assets/app.js', '/assets/plane-view.js']) {
        seen.push(await (await fetch(new URL(path, dashboard.url))).text());
      }
      seen.push(stream.text());
    } finally {
      stream.close();
    }
    await page.goto(`${dashboard.url}planes/demo`);
    await expect.poll(() => page.locator('[data-testid=agent-row]').count(), { timeout: 20_000 }).toBe(3);
    seen.push(await page.content(), await renderedText(page));
    for (const text of seen) expect(text).not.toContain(SECRET_VALUE);
    // The scan is not vacuous: the rendered page does hold the agents' details.
    expect(seen.at(-1)).toContain('alice@example.com');
  });
  it('turns an agent whose heartbeat stops Unhealthy, without a reload', async () => {
    // In-page navigation to the research plane; from here on the document must stay the same.
    await page.locator('a[data-nav][href="/"]').first().click();
    await page.locator('[data-testid=plane-row][data-plane=research] a[data-nav]').first().click();
    await expect.poll(() => row('eli').getAttribute('data-state'), { timeout: 20_000 }).toBe('Ready');
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'before the heartbeat stopped'));
    const stopped = Date.now();
    await stopHeartbeat(RESEARCH.name, RESEARCH.zone, 'eli' as AgentName);
    // A Ready agent is Unhealthy once its last heartbeat is older than HEARTBEAT_STALE_AFTER_MS (90 s, real time).
    await expect.poll(() => row('eli').getAttribute('data-state'), { timeout: HEARTBEAT_STALE_AFTER_MS + 60_000, interval: 1_000 }).toBe('Unhealthy');
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(HEARTBEAT_STALE_AFTER_MS - 5_000);
    expect(await row('eli').getAttribute('data-health')).toBe('unhealthy');
    expect(await row('eli').locator('[data-testid=agent-health]').textContent()).toMatch(/no heartbeat for 1m \d+s/);
    expect(await row('dana').getAttribute('data-state')).toBe('Ready');
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('before the heartbeat stopped');
  }, HEARTBEAT_STALE_AFTER_MS + 120_000);
});

/** Everything the page shows, shadow roots included. */
function renderedText(p: Page): Promise<string> {
  return p.evaluate(() => {
    const parts: string[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of Array.from(root.querySelectorAll('*'))) {
        if (el.shadowRoot) {
          parts.push(el.shadowRoot.innerHTML);
          walk(el.shadowRoot);
        }
      }
    };
    parts.push(document.documentElement.outerHTML);
    walk(document);
    return parts.join('\n');
  });
}

/** Silences one agent's guest heartbeat (the VM keeps running), as a hung agent would. */
async function stopHeartbeat(plane: PlaneName, zone: string, agent: AgentName): Promise<void> {
  const instance = agentResourceNames(PROJECT, plane, agent).instance;
  await stack.emulator.admin('guest', { instance: `projects/${PROJECT}/zones/${zone}/instances/${instance}`, heartbeat: 'stop' });
}
