/** Upgrade windows: the cron subset accepted, and one error naming --window for anything else. */
import { describe, expect, it } from 'vitest';
import { parseCronWindow } from '../../src/domain/cron.js';
import { InvalidInputError } from '../../src/domain/invalid-input.js';

describe('parseCronWindow', () => {
  it.each(['0 3 * * SAT', '30 2 * * 1-5', '*/15 * * * *', '0 0 1 JAN,JUL *', '0 4 1-7 * sun', '5 0 * 8 0-7/2', '@daily', '@WEEKLY'])('accepts %j', (cron) => {
    expect(() => parseCronWindow(cron)).not.toThrow();
  });

  it('normalises spacing and macro case', () => {
    expect(parseCronWindow('  0   3 * *  SAT ')).toBe('0 3 * * SAT');
    expect(parseCronWindow('@Daily')).toBe('@daily');
  });

  it.each(['', 'every night', '0 3 * *', '0 3 * * * *', '60 3 * * *', '0 24 * * *', '0 3 0 * *', '0 3 * 13 *', '0 3 * * 8', '0 5-3 * * *', '*/0 * * * *', '0 3 * * FUNDAY', '@reboot', '0 3 ** * *', 5])(
    'refuses %j naming --window',
    (cron) => {
      let error: unknown;
      try {
        parseCronWindow(cron);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('--window');
    },
  );
});
