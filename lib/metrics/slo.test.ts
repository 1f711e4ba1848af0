import { describe, expect, it } from 'vitest';
import { budgetRemaining, burnRate, objectiveReport } from './slo';

describe('SLO maths', () => {
  it('spends the budget in proportion to the bad share', () => {
    // 99.5%: 0.5% may fail. 1000 requests, 5 bad: exactly the budget.
    expect(budgetRemaining({ total: 1000, good: 995 }, 0.995)).toBe(0);
    expect(budgetRemaining({ total: 1000, good: 1000 }, 0.995)).toBe(1);
    expect(budgetRemaining({ total: 1000, good: 9975 / 10 }, 0.995)).toBe(0.5);
    // Overspent: 1% bad against a 0.5% budget.
    expect(budgetRemaining({ total: 1000, good: 990 }, 0.995)).toBe(-1);
    expect(budgetRemaining({ total: 0, good: 0 }, 0.995)).toBe(1);
  });

  it('burn rate: 1 spends the budget over the SLO window, 14.4 is a fast burn', () => {
    expect(burnRate({ total: 1000, good: 999 }, 0.999)).toBe(1);
    expect(burnRate({ total: 1000, good: 856 }, 0.99)).toBe(14.4);
    expect(burnRate({ total: 0, good: 0 }, 0.99)).toBe(0);
  });

  it('reports the SLI, budget and both burn windows, and refuses an objective outside (0, 1)', () => {
    const r = objectiveReport(0.99, { total: 200, good: 199 }, [
      { window: '5m', counts: { total: 10, good: 9 } },
      { window: '1h', counts: { total: 100, good: 100 } },
    ]);
    expect(r).toMatchObject({ sli: 0.995, budgetRemaining: 0.5, met: true });
    expect(r.burn).toEqual([
      { window: '5m', total: 10, bad: 1, badShare: 0.1, burnRate: 10 },
      { window: '1h', total: 100, bad: 0, badShare: 0, burnRate: 0 },
    ]);
    expect(objectiveReport(0.99, { total: 100, good: 98 }, []).met).toBe(false);
    expect(() => objectiveReport(1, { total: 1, good: 1 }, [])).toThrow(RangeError);
  });
});
