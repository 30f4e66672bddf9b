/** The health watch's rules: what makes an agent unhealthy, the restart budget, and the settings' validation. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_WATCH, mayAutoRestart, parseHealthWatchSettings, restartsInWindow, unhealthyReason } from '../../src/domain/health-watch.js';
import { InvalidInputError } from '../../src/domain/invalid-input.js';

const now = 1_000_000;
const ok = { agent: 'a', observedAt: now, instanceStatus: 'RUNNING', heartbeatAt: now - 1000, health: 'ok', version: '1.0.0' };

describe('unhealthyReason', () => {
  it('is undefined for a running VM with a fresh ok heartbeat', () => {
    expect(unhealthyReason(ok, now, 3000)).toBeUndefined();
  });
  it('names a VM that is not running, a missing or stale heartbeat, and a bad reported health', () => {
    expect(unhealthyReason({ ...ok, instanceStatus: 'TERMINATED' }, now, 3000)).toBe('instance is TERMINATED');
    expect(unhealthyReason({ agent: 'a', observedAt: now }, now, 3000)).toBe('instance is missing');
    expect(unhealthyReason({ ...ok, heartbeatAt: undefined }, now, 3000)).toBe('no heartbeat');
    expect(unhealthyReason({ ...ok, heartbeatAt: now - 95_000 }, now, 90_000)).toBe('last heartbeat 95s ago');
    expect(unhealthyReason({ ...ok, health: 'failing' }, now, 3000)).toBe('guest reports health failing');
  });
});

describe('the automatic restart budget', () => {
  const settings = { ...DEFAULT_HEALTH_WATCH, maxAutoRestarts: 3, restartWindowMs: 10_000 };
  it('allows maxAutoRestarts within the window, then no more', () => {
    expect(mayAutoRestart([], now, settings)).toBe(true);
    expect(mayAutoRestart([now - 3, now - 2], now, settings)).toBe(true);
    expect(mayAutoRestart([now - 3, now - 2, now - 1], now, settings)).toBe(false);
  });
  it('forgets restarts older than the window', () => {
    expect(restartsInWindow([now - 20_000, now - 10_000, now - 9_999], now, 10_000)).toEqual([now - 9_999]);
    expect(mayAutoRestart([now - 20_000, now - 15_000, now - 1], now, settings)).toBe(true);
  });
});

describe('parseHealthWatchSettings', () => {
  it('takes the defaults for what is absent', () => {
    expect(parseHealthWatchSettings({})).toEqual(DEFAULT_HEALTH_WATCH);
    expect(parseHealthWatchSettings({ maxAutoRestarts: '5' }).maxAutoRestarts).toBe(5);
  });
  it('refuses values that would make the watch useless, naming the flag', () => {
    const field = (raw: Parameters<typeof parseHealthWatchSettings>[0]) => {
      try {
        parseHealthWatchSettings(raw);
      } catch (error) {
        if (error instanceof InvalidInputError) return error.field;
        throw error;
      }
      return undefined;
    };
    expect(field({ checkIntervalMs: 10 })).toBe('--health-check-interval');
    expect(field({ checkIntervalMs: 60_000, staleAfterMs: 30_000 })).toBe('--heartbeat-stale-after');
    expect(field({ maxAutoRestarts: '-1' })).toBe('--max-auto-restarts');
    expect(field({ unhealthyAfterChecks: '0' })).toBe('--unhealthy-after-checks');
  });
});
