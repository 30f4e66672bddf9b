/** The rollout plan and the upgrade flags: deterministic waves from the roster; one clear error per bad flag. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/invalid-input.js';
import { batches, parseUpgradeRequest, planUpgrade } from '../../src/domain/upgrade-spec.js';

describe('planUpgrade', () => {
  it('takes the canary first in name order, then waves of maxUnavailable', () => {
    const agents = ['u3', 'u0', 'u9', 'u1', 'u2', 'u5', 'u4', 'u8', 'u6', 'u7'];
    expect(planUpgrade(agents, 1, 3)).toEqual({ canary: ['u0'], waves: [['u1', 'u2', 'u3'], ['u4', 'u5', 'u6'], ['u7', 'u8', 'u9']] });
    expect(planUpgrade(agents, 0, 4).waves.map((w) => w.length)).toEqual([4, 4, 2]);
    expect(planUpgrade(['a', 'b'], 5, 1)).toEqual({ canary: ['a', 'b'], waves: [] });
    expect(planUpgrade([], 1, 1)).toEqual({ canary: [], waves: [] });
  });

  it('splits a canary larger than maxUnavailable into groups', () => {
    expect(batches(['a', 'b', 'c'], 2)).toEqual([['a', 'b'], ['c']]);
  });
});

describe('parseUpgradeRequest', () => {
  it('keeps an agents subset only when one is given', () => {
    expect(parseUpgradeRequest({ toVersion: '1.2.3', canary: 0, agents: ['b', 'a'] })).toEqual({
      toVersion: '1.2.3',
      canary: 0,
      maxUnavailable: 1,
      healthTimeoutMs: 600_000,
      agents: ['b', 'a'],
    });
    expect('agents' in parseUpgradeRequest({ toVersion: '1.2.3' })).toBe(false);
  });

  it('applies the defaults', () => {
    expect(parseUpgradeRequest({ toVersion: '2026.10.2' })).toEqual({ toVersion: '2026.10.2', canary: 1, maxUnavailable: 1, healthTimeoutMs: 600_000 });
    expect(parseUpgradeRequest({ toVersion: '1.2.3', canary: '0', maxUnavailable: '3', healthTimeoutMs: 5000 })).toMatchObject({ canary: 0, maxUnavailable: 3 });
  });

  it.each([
    [{ toVersion: 'latest' }, '--version'],
    [{ toVersion: '1.2.3', canary: '-1' }, '--canary'],
    [{ toVersion: '1.2.3', canary: '1.5' }, '--canary'],
    [{ toVersion: '1.2.3', maxUnavailable: '0' }, '--max-unavailable'],
    [{ toVersion: '1.2.3', healthTimeoutMs: 10 }, '--health-timeout'],
    [{ toVersion: '1.2.3', agents: [] }, '--name'],
    [{ toVersion: '1.2.3', agents: 'a' }, '--name'],
    [{ toVersion: '1.2.3', agents: ['a', 'Not A Name'] }, '--name'],
    [{ toVersion: '1.2.3', agents: ['a', 'b', 'a'] }, '--name'],
  ])('rejects %j naming %s', (raw, field) => {
    expect(() => parseUpgradeRequest(raw)).toThrow(InvalidInputError);
    try {
      parseUpgradeRequest(raw);
    } catch (error) {
      expect((error as InvalidInputError).field).toBe(field);
    }
  });
});
