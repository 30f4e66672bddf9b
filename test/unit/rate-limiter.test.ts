/**
 * The GCP rate limiter: which quota a call counts against, how calls are paced under it, how the pace
 * adapts to rate-limit answers, and (against the emulator's per-project rate quotas, through the
 * product's resilient clients) that a burst of writes far over a quota completes without one 429 when
 * the limiter knows the quota, and adapts when it does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { createGcpClients } from '../../src/gcp/clients.js';
import { GroupPace, projectOfRequest, quotaGroupOf, RateLimiter, rateLimiterFor } from '../../src/gcp/rate-limiter.js';

describe('quota groups', () => {
  it('sorts client methods into GCP’s rate-quota groups', () => {
    expect(quotaGroupOf('compute.instances', 'insert')).toBe('compute.mutations');
    expect(quotaGroupOf('compute.instances', 'setIamPolicy')).toBe('compute.mutations');
    expect(quotaGroupOf('compute.instances', 'get')).toBe('compute.reads');
    expect(quotaGroupOf('compute.instances', 'getGuestAttributes')).toBe('compute.reads');
    expect(quotaGroupOf('compute.disks', 'list')).toBe('compute.lists');
    expect(quotaGroupOf('compute.zoneOperations', 'wait')).toBe('compute.operations');
    expect(quotaGroupOf('secretmanager', 'accessSecretVersion')).toBe('secretmanager.access');
    expect(quotaGroupOf('secretmanager', 'addSecretVersion')).toBe('secretmanager.writes');
    expect(quotaGroupOf('secretmanager', 'getIamPolicy')).toBe('secretmanager.reads');
    expect(quotaGroupOf('iam.projects.serviceAccounts', 'create')).toBe('iam.writes');
    expect(quotaGroupOf('iam.projects.serviceAccounts', 'get')).toBe('iam.reads');
    expect(quotaGroupOf('resourcemanager.projects', 'setIamPolicy')).toBe('resourcemanager.writes');
    expect(quotaGroupOf('iap', 'getIamPolicy')).toBe('iap.reads');
    expect(quotaGroupOf('storage', 'upload')).toBeUndefined();
  });

  it('finds the project in compute requests, resource names and service account emails', () => {
    expect(projectOfRequest({ project: 'p1', zone: 'z' })).toBe('p1');
    expect(projectOfRequest({ parent: 'projects/p2' })).toBe('p2');
    expect(projectOfRequest({ name: 'projects/p3/secrets/s/versions/1' })).toBe('p3');
    expect(projectOfRequest({ resource: 'projects/-/serviceAccounts/ap-x@p4.iam.gserviceaccount.com' })).toBe('p4');
    expect(projectOfRequest({ name: '/v1/projects/p5/iap_tunnel/zones/z/instances/i' })).toBe('p5');
    expect(projectOfRequest(undefined)).toBeUndefined();
  });
});

describe('pacing', () => {
  /** The most calls that start within any `windowMs` (sliding), i.e. what any fixed window can see. */
  function busiestWindow(startTimes: readonly number[], windowMs: number): number {
    const sorted = [...startTimes].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= windowMs) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  /** Sends `n` calls asked for at once, on a fake clock, each when the pace lets it; returns the send times. */
  function sendAll(pace: GroupPace, n: number, at: number): number[] {
    const slots = Array.from({ length: n }, () => at + pace.reserve(at)).sort((a, b) => a - b);
    return slots.map((slot) => {
      let t = slot;
      for (let wait = pace.admit(t); wait > 0; wait = pace.admit(t)) t += wait;
      return t;
    });
  }

  it('spreads a burst so that no window holds more than the quota, without idling', () => {
    // 100 per window, paced at 90 (the headroom the limiter applies).
    const pace = new GroupPace(90, 1_000);
    const sent = sendAll(pace, 500, 1_000_000);
    expect(busiestWindow(sent, 1_000)).toBeLessThanOrEqual(100);
    // 500 calls at 90 per window take about 5.5 windows, not more.
    expect(Math.max(...sent) - 1_000_000).toBeLessThan(5_600);
    expect(Math.max(...sent) - 1_000_000).toBeGreaterThan(5_000);
    // The first few go at once.
    expect(sent.filter((t) => t === 1_000_000).length).toBeGreaterThanOrEqual(4);
  });

  it('holds late timers back: slots released all at once still send no more than the window allows', () => {
    const pace = new GroupPace(90, 1_000);
    // Every slot reserved, then a stalled event loop wakes them all at the same instant.
    for (let i = 0; i < 300; i++) pace.reserve(0);
    const admitted = Array.from({ length: 300 }, () => pace.admit(2_000)).filter((wait) => wait === 0).length;
    expect(admitted).toBe(94);
    // The next one may go once the oldest of those is a window old.
    expect(pace.admit(2_000)).toBe(1_001);
  });

  it('keeps projects and groups apart', async () => {
    const limiter = new RateLimiter({ quotas: { 'secretmanager.writes': 2 }, windowMs: 60_000 });
    const write = (project: string) => limiter.pacerFor('secretmanager', 'addSecretVersion', { parent: `projects/${project}` })!;
    // One write each in two projects, and a read, all at once: none waits (a third write in `a` would).
    const started = Date.now();
    await Promise.all([write('a').acquire(), write('b').acquire(), limiter.pacerFor('secretmanager', 'getSecret', { name: 'projects/a/secrets/s' })!.acquire()]);
    expect(Date.now() - started).toBeLessThan(100);
    expect(limiter.snapshot()).toMatchObject({ calls: 3, delayed: 0 });
  });

  it('halves a pace on a rate limit, once per burst refused, and wins it back with successes', () => {
    const pace = new GroupPace(540, 60_000);
    const before = pace.generation;
    // A burst refused at once slows down once: its calls were all sent at the old pace.
    for (let i = 0; i < 3; i++) pace.rateLimited(0, before);
    expect(pace.rate).toBe(270);
    // A call sent at the new pace and refused again halves it again.
    pace.rateLimited(0, pace.generation);
    expect(pace.rate).toBe(135);
    // Then calls are one per 60 s / 135.
    const gaps = Array.from({ length: 40 }, () => pace.reserve(1_000_000));
    expect(gaps.at(-1)! - gaps.at(-2)!).toBeCloseTo(60_000 / 135, 0);
    for (let i = 0; i < 200; i++) pace.succeeded();
    expect(pace.rate).toBe(540);
    // Never below the floor, however often refused.
    for (let i = 0; i < 50; i++) pace.rateLimited(0, pace.generation);
    expect(pace.rate).toBeCloseTo(540 * 0.02, 6);
  });

  it('reads its quotas and window from the environment, and refuses a malformed one naming the variable', () => {
    const limiter = RateLimiter.fromEnv({ AGENTS_PLANE_GCP_RATE_QUOTAS: 'iam.writes=1200, compute.mutations=3000', AGENTS_PLANE_GCP_QUOTA_WINDOW_MS: '500' });
    expect(limiter).toBeInstanceOf(RateLimiter);
    expect(() => RateLimiter.fromEnv({ AGENTS_PLANE_GCP_RATE_QUOTAS: 'iam.writes=lots' })).toThrow(InvalidInputError);
    expect(() => RateLimiter.fromEnv({ AGENTS_PLANE_GCP_RATE_QUOTAS: 'storage.writes=5' })).toThrow(/AGENTS_PLANE_GCP_RATE_QUOTAS/);
    expect(() => RateLimiter.fromEnv({ AGENTS_PLANE_GCP_QUOTA_WINDOW_MS: '0' })).toThrow(/AGENTS_PLANE_GCP_QUOTA_WINDOW_MS/);
  });
});

describe('against the emulator’s rate quotas, through the resilient clients', () => {
  // Emulated 60 s windows last 60 s × 0.05 = 3 s; Secret Manager writes are capped at 60 per window.
  // (The emulator shares this process: a busy event loop delays arrivals by tens of ms, which the 10%
  // headroom of 6 calls × 55 ms absorbs; a smaller quota would make the test about this machine's load.)
  const SCALE = 0.05;
  const WINDOW_MS = 60_000 * SCALE;
  const QUOTA = 60;
  const SECRETS = 150;
  let emulator: EmulatorHandle;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, latencyScale: SCALE, seed: 3, rateQuotas: { 'secretmanager.writes': QUOTA } });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  async function createSecrets(project: string, limiter: RateLimiter): Promise<void> {
    const gcp = createGcpClients({ emulatorUrl: emulator.url }, { limiter });
    try {
      await Promise.all(
        Array.from({ length: SECRETS }, (_, i) =>
          gcp.secrets.createSecret({ parent: `projects/${project}`, secretId: `s-${i}`, secret: { replication: { automatic: {} } } }),
        ),
      );
    } finally {
      await gcp.close();
    }
  }

  it('creates nearly three windows’ worth of secrets at once without a single rate-limit answer when it knows the quota (from the emulator)', async () => {
    // As a worker does: the emulator tells its limits and its (scaled) window.
    const limiter = await rateLimiterFor(emulator.url, {});
    const started = Date.now();
    await createSecrets('paced-project', limiter);
    const stats = limiter.snapshot();
    expect(stats.rateLimited).toBe(0);
    expect(stats.delayed).toBeGreaterThan(SECRETS / 2);
    // Paced at 90% of the quota: 150 / 54 windows = 8.3 s; under 2.5 times that even on a loaded machine.
    expect(Date.now() - started).toBeLessThan((SECRETS / (QUOTA * 0.9)) * WINDOW_MS * 2.5);
    expect(emulator.calls()['secretmanager.secrets.create']).toBeGreaterThanOrEqual(SECRETS);
  });

  it('adapts to a quota lower than it was told: every call still succeeds, and it slows down', async () => {
    // Told twice the real quota (another worker shares it): the first window overflows, then it paces.
    const limiter = new RateLimiter({ quotas: { 'secretmanager.writes': QUOTA * 2 }, windowMs: WINDOW_MS });
    await createSecrets('unpaced-project', limiter);
    const stats = limiter.snapshot();
    expect(stats.rateLimited).toBeGreaterThan(0);
    // Most calls went through at the first try: the refusals are the first window's overflow.
    expect(stats.rateLimited).toBeLessThan(SECRETS / 2);
  });
});
