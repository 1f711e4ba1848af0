import { describe, expect, it } from 'vitest';
import { money } from './money';

describe('money', () => {
  it('formats minor units in the currency’s own decimals, the same on every call', () => {
    for (let i = 0; i < 2; i++) {
      expect(money(2599, 'USD')).toBe('$25.99');
      expect(money(500, 'JPY')).toBe('¥500');
      expect(money(1234, 'EUR')).toBe('€12.34');
      expect(money(1234567, 'USD')).toBe('$12,345.67');
      expect(money(5, 'KWD')).toMatch(/^KWD\s0\.005$/); // three decimals; Intl puts a no-break space
    }
  });

  it('shows the raw amount for a code Intl refuses, every time', () => {
    expect(money(2599, 'NOPE')).toBe('2599 NOPE (minor units)');
    expect(money(2599, 'NOPE')).toBe('2599 NOPE (minor units)');
    expect(money(1, 'USD')).toBe('$0.01');
  });
});
