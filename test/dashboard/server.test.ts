/**
 * The dashboard's HTTP layer with a counting data source: who may ask (loopback Host check, token by
 * header, cookie or one-time query), what every response carries (CSP, nosniff, ...), that it is
 * read-only and serves nothing outside its folders, that all viewers share one snapshot, and that its
 * Google clients refuse anything but describe/list calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accessSettings, RequestGate, TOKEN_COOKIE, type AccessSettings } from '../../src/dashboard/access.js';
import { describeOnlyGcpClients, DescribeOnlyViolation } from '../../src/dashboard/describe-only-gcp.js';
import type { FleetRead } from '../../src/dashboard/fleet-reader.js';
import type { PlaneView } from '../../src/dashboard/fleet-snapshot.js';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/page.js';
import { startDashboardServer, type RunningDashboard } from '../../src/dashboard/server.js';
import { SnapshotPoller } from '../../src/dashboard/snapshot-poller.js';
import { StaticFiles } from '../../src/dashboard/static-files.js';
import { upgradeView } from '../../src/dashboard/upgrade-progress.js';
import type { UpgradeProgress } from '../../src/workflows/upgrade-messages.js';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { openEventStream, rawRequest } from './support/http.js';

const TOKEN = 'test-token-0123456789abcdef';

function plane(name: string): PlaneView {
  return {
    name,
    project: 'proj-test',
    region: 'us-central1',
    zone: 'us-central1-a',
    phase: 'Ready',
    workflow: { workflowId: `plane/${name}`, url: null },
    agents: [],
    totals: { agents: 0, ready: 0, unhealthy: 0, provisioning: 0, failed: 0, monthlyCostUsd: 0 },
    versions: {},
    desiredVersions: {},
    upgrade: null,
    error: null,
  };
}

interface Harness {
  dashboard: RunningDashboard;
  reads: () => number;
}

let running: RunningDashboard[] = [];
afterEach(async () => {
  await Promise.all(running.map((d) => d.close()));
  running = [];
});

async function start(access: AccessSettings = { host: '127.0.0.1', token: null }, poll: Partial<{ intervalMs: number; idleAfterMs: number }> = {}): Promise<Harness> {
  let reads = 0;
  const read = async (): Promise<FleetRead> => {
    reads++;
    return { planes: [plane('alpha')], gcpReads: 0 };
  };
  const poller = new SnapshotPoller(read, {
    intervalMs: poll.intervalMs ?? 200,
    maxGcpReadsPerMinute: 600,
    idleAfterMs: poll.idleAfterMs ?? 1_000,
    namespace: 'default',
    webUiUrl: null,
  });
  const dashboard = await startDashboardServer({ host: access.host, port: 0, poller, files: new StaticFiles(), gate: (port) => new RequestGate(access, port) });
  running.push(dashboard);
  return { dashboard, reads: () => reads };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dashboard server', () => {
  it('serves the page and its modules with a CSP that allows no inline script but the import map', async () => {
    const { dashboard } = await start();
    const page = await rawRequest(dashboard.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<ap-dashboard>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    const scriptSrc = CONTENT_SECURITY_POLICY.split('; ').find((d) => d.startsWith('script-src'))!;
    expect(scriptSrc).toMatch(/^script-src 'self' 'sha256-[A-Za-z0-9+/=]+'$/);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    // Every path answers with the same headers, errors included.
    for (const path of ['/', '/planes/alpha', '/api/fleet', '/assets/app.js', '/vendor/lit/index.js', '/vendor/@lit/reactive-element/reactive-element.js', '/nope', '/healthz']) {
      const r = await rawRequest(dashboard.url, path);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['x-frame-options'], path).toBe('DENY');
      expect(r.headers['referrer-policy'], path).toBe('no-referrer');
      expect(r.headers['content-security-policy'], path).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers['access-control-allow-origin'], path).toBeUndefined();
    }
    const lit = await rawRequest(dashboard.url, '/vendor/lit/index.js');
    expect(lit.status).toBe(200);
    expect(lit.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const fleet = JSON.parse((await rawRequest(dashboard.url, '/api/fleet')).body) as { planes: { name: string }[] };
    expect(fleet.planes.map((p) => p.name)).toEqual(['alpha']);
    expect((await rawRequest(dashboard.url, '/api/planes/alpha')).status).toBe(200);
    expect((await rawRequest(dashboard.url, '/api/planes/beta')).status).toBe(404);
  });

  it('is read-only and serves nothing outside its folders', async () => {
    const { dashboard } = await start();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await rawRequest(dashboard.url, '/api/fleet', { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
    for (const path of [
      '/assets/../fleet-reader.ts',
      '/assets/..%2fserver.ts',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/vendor/lit/../../package.json',
      '/vendor/lit/..%2f..%2fpackage.json',
      '/vendor/lit/package.json',
      '/vendor/typescript/lib/typescript.js',
      '/assets/tsconfig.json',
      '/assets/app.js%00.css',
    ]) {
      const r = await rawRequest(dashboard.url, path);
      expect(r.status, path).toBe(404);
    }
  });

  it('on loopback without a token answers only requests addressed to loopback (no DNS rebinding)', async () => {
    const { dashboard } = await start();
    const port = String(dashboard.port);
    expect((await rawRequest(dashboard.url, '/api/fleet', { headers: { host: `127.0.0.1:${port}` } })).status).toBe(200);
    expect((await rawRequest(dashboard.url, '/api/fleet', { headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await rawRequest(dashboard.url, '/api/fleet', { headers: { host: `attacker.example:${port}` } })).status).toBe(403);
    expect((await rawRequest(dashboard.url, '/', { headers: { host: 'attacker.example' } })).status).toBe(403);
  });

  it('with a token, every request must carry it: header, cookie, or once in the query', async () => {
    const { dashboard } = await start({ host: '127.0.0.1', token: TOKEN });
    for (const path of ['/', '/planes/alpha', '/api/fleet', '/api/events', '/assets/app.js', '/vendor/lit/index.js', '/healthz']) {
      const r = await rawRequest(dashboard.url, path);
      expect(r.status, path).toBe(401);
      expect(r.body).not.toContain('alpha');
    }
    const wrong = 'x'.repeat(TOKEN.length);
    expect((await rawRequest(dashboard.url, '/api/fleet', { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    expect((await rawRequest(dashboard.url, '/api/fleet', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await rawRequest(dashboard.url, '/api/fleet', { headers: { cookie: `${TOKEN_COOKIE}=${wrong}` } })).status).toBe(401);
    expect((await rawRequest(dashboard.url, `/?token=${wrong}`)).status).toBe(401);

    const bearer = await rawRequest(dashboard.url, '/api/fleet', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.body).toContain('alpha');

    const once = await rawRequest(dashboard.url, `/planes/alpha?token=${TOKEN}`);
    expect(once.status).toBe(303);
    expect(once.headers.location).toBe('/planes/alpha');
    const setCookie = String(once.headers['set-cookie']);
    expect(setCookie).toContain(`${TOKEN_COOKIE}=${TOKEN}`);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const withCookie = await rawRequest(dashboard.url, '/api/fleet', { headers: { cookie: `other=1; ${TOKEN_COOKIE}=${TOKEN}` } });
    expect(withCookie.status).toBe(200);

    const stream = await openEventStream(dashboard.url, { authorization: `Bearer ${TOKEN}` });
    try {
      await expect.poll(() => stream.snapshots().length).toBeGreaterThan(0);
    } finally {
      stream.close();
    }
  });

  it('refuses to listen beyond loopback without a token, naming the flag', () => {
    expect(() => accessSettings('0.0.0.0', undefined)).toThrow(InvalidInputError);
    expect(() => accessSettings('0.0.0.0', undefined)).toThrow(/^invalid --token: is required \(or AGENTS_PLANE_DASHBOARD_TOKEN\) when --host is not a loopback address; got --host 0.0.0.0$/);
    expect(() => accessSettings('10.1.2.3', '   ')).toThrow(/invalid --token: is required/);
    expect(() => accessSettings('0.0.0.0', 'short')).toThrow(/^invalid --token: must be at least 16 characters$/);
    expect(() => accessSettings('0.0.0.0', 'has spaces and ; semicolons!')).toThrow(/^invalid --token: may contain only/);
    expect(accessSettings('0.0.0.0', TOKEN)).toEqual({ host: '0.0.0.0', token: TOKEN });
    for (const loopback of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost']) expect(accessSettings(loopback, undefined).token).toBeNull();
  });

  it('shares one snapshot among every viewer: reads follow the interval, not the number of viewers', async () => {
    const { dashboard, reads } = await start({ host: '127.0.0.1', token: null }, { intervalMs: 400 });
    const streams = await Promise.all(Array.from({ length: 6 }, () => openEventStream(dashboard.url)));
    try {
      const started = Date.now();
      const api = [];
      for (let i = 0; i < 30; i++) api.push(rawRequest(dashboard.url, '/api/fleet'));
      await Promise.all(api);
      await sleep(1_300);
      const elapsed = Date.now() - started;
      // One read at start plus one per interval; 6 streams and 30 API calls add none.
      expect(reads()).toBeLessThanOrEqual(Math.ceil(elapsed / 400) + 2);
      const sequences = streams.map((s) => (s.snapshots() as { sequence: number }[]).map((x) => x.sequence));
      for (const seq of sequences) expect(seq.length).toBeGreaterThanOrEqual(2);
      // Every viewer got the very same refreshes.
      const last = Math.min(...sequences.map((s) => s.at(-1)!));
      for (const seq of sequences) expect(seq.filter((n) => n <= last).slice(-2)).toEqual(sequences[0]!.filter((n) => n <= last).slice(-2));
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('stops polling when nobody looks, and starts again on the next request', async () => {
    const { dashboard, reads } = await start({ host: '127.0.0.1', token: null }, { intervalMs: 100, idleAfterMs: 300 });
    await rawRequest(dashboard.url, '/api/fleet');
    await sleep(900);
    const afterIdle = reads();
    await sleep(600);
    expect(reads()).toBe(afterIdle);
    const again = JSON.parse((await rawRequest(dashboard.url, '/api/fleet')).body) as { generatedAt: string };
    expect(reads()).toBeGreaterThan(afterIdle);
    expect(Date.now() - Date.parse(again.generatedAt)).toBeLessThan(1_000);
  });
});

describe("the dashboard's Google clients", () => {
  it('answer describe/list calls only: no Secret Manager, no IAM, no mutation', async () => {
    const gcp = describeOnlyGcpClients({ emulatorUrl: 'http://127.0.0.1:9' });
    try {
      expect(typeof gcp.instances.get).toBe('function');
      expect(typeof gcp.instances.getGuestAttributes).toBe('function');
      expect(typeof gcp.snapshots.listAsync).toBe('function');
      expect(() => gcp.secrets).toThrow(DescribeOnlyViolation);
      expect(() => gcp.secrets.accessSecretVersion).toThrow(/describe\/list calls only; gcp\.secrets is not available/);
      expect(() => gcp.iam).toThrow(DescribeOnlyViolation);
      expect(() => gcp.rest).toThrow(DescribeOnlyViolation);
      expect(() => gcp.projects).toThrow(DescribeOnlyViolation);
      for (const mutation of ['insert', 'delete', 'stop', 'start', 'setMetadata', 'setLabels', 'setIamPolicy', 'getSerialPortOutput', 'getIamPolicy'] as const) {
        expect(() => (gcp.instances as unknown as Record<string, unknown>)[mutation], mutation).toThrow(DescribeOnlyViolation);
      }
      expect(() => (gcp.snapshots as unknown as Record<string, unknown>).delete).toThrow(DescribeOnlyViolation);
    } finally {
      await gcp.close();
    }
  });
});

describe('upgrade progress as the page reads it', () => {
  const known = { workflow: { workflowId: 'upgrade/p/1', url: null }, status: 'Running' as const, startedAt: null, closedAt: null, queryError: null };

  it('reads the upgrade workflow’s progress answer: versions, stages, per-agent states, halt and rollback', () => {
    // Typed as the workflow's Query declares it, so a change of the real shape breaks this at compile time.
    const progress: UpgradeProgress = {
      operation: 'upgrade-plane',
      state: 'compensating',
      step: 2,
      totalSteps: 3,
      stepName: 'wave 1',
      steps: ['canary', 'wave 1', 'wave 2'],
      undoing: 'b',
      error: { type: 'AGENT_NOT_HEALTHY', message: 'agent b did not report healthy' },
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      maxUnavailable: 2,
      canary: { agents: ['a'], state: 'done' },
      waves: [{ index: 1, agents: ['b', 'c'], state: 'failed' }, { index: 2, agents: ['d'], state: 'pending' }],
      agents: [
        { name: 'a', fromVersion: '1.0.0', state: 'upgraded', snapshot: 'snap-a', unavailable: [{ from: 1, to: 2 }] },
        { name: 'b', fromVersion: '1.0.0', state: 'rolling-back', unavailable: [{ from: 3 }], error: { type: 'AGENT_NOT_HEALTHY', message: 'unhealthy' } },
        { name: 'c', fromVersion: '1.0.0', state: 'upgraded', unavailable: [] },
        { name: 'd', fromVersion: '1.0.0', state: 'pending', unavailable: [] },
      ],
      paused: false,
      aborted: false,
      halted: true,
      haltReason: 'AGENT_NOT_HEALTHY: agent b did not report healthy',
      rolledBack: false,
    };
    expect(upgradeView(progress, known)).toEqual({
      ...known,
      state: 'compensating',
      step: 2,
      totalSteps: 3,
      stepName: 'wave 1',
      steps: ['canary', 'wave 1', 'wave 2'],
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      maxUnavailable: 2,
      canary: { agents: ['a'], state: 'done' },
      waves: [{ index: 1, agents: ['b', 'c'], state: 'failed' }, { index: 2, agents: ['d'], state: 'pending' }],
      agents: [
        { name: 'a', fromVersion: '1.0.0', state: 'upgraded', error: null },
        { name: 'b', fromVersion: '1.0.0', state: 'rolling-back', error: 'AGENT_NOT_HEALTHY: unhealthy' },
        { name: 'c', fromVersion: '1.0.0', state: 'upgraded', error: null },
        { name: 'd', fromVersion: '1.0.0', state: 'pending', error: null },
      ],
      halted: true,
      haltReason: 'AGENT_NOT_HEALTHY: agent b did not report healthy',
      paused: false,
      aborted: false,
      undoing: 'b',
      rolledBack: false,
      error: 'AGENT_NOT_HEALTHY: agent b did not report healthy',
    });
  });

  it('shows what it can of any other answer', () => {
    expect(upgradeView(undefined, known)).toMatchObject({ state: 'running', step: 0, totalSteps: 0, canary: null, waves: [], agents: [], halted: false, rolledBack: false, error: null });
    const odd = upgradeView(
      { step: -1, totalSteps: 'four', canary: 'a', waves: [null, { state: 'exploded', agents: [1, 'x'] }], halted: 'yes', agents: [{ state: 'upgraded' }, { name: 'x', state: 'melted' }], maxUnavailable: 'two' },
      known,
    );
    expect(odd).toMatchObject({ step: 0, totalSteps: 0, canary: null, waves: [{ index: 2, agents: ['x'], state: 'pending' }], halted: false, maxUnavailable: null });
    expect(odd.agents).toEqual([{ name: 'x', fromVersion: null, state: 'pending', error: null }]);
  });
});
