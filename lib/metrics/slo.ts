// Service level objectives: the maths of error budgets and burn rates, apart from where the counts come from.
// An SLI is good events / valid events over a window. With objective o (e.g. 0.995), the error budget is the share
// 1 - o of events allowed to be bad over the SLO window; what remains of it is 1 - bad_share / (1 - o) (1: untouched,
// 0: spent, below 0: overspent). A burn rate over a shorter window is bad_share / (1 - o): 1 spends the budget
// exactly over the SLO window, 14.4 spends 2% of a 30-day budget in one hour (the classic fast-burn page).

export interface Counts {
  /** Valid events (requests, or accepted orders old enough to have been paid). */
  total: number;
  /** Of them, the good ones. */
  good: number;
}

export interface Burn {
  window: string;
  total: number;
  bad: number;
  /** bad / total over the window; 0 with no events. */
  badShare: number;
  /** badShare / (1 - objective). */
  burnRate: number;
}

export interface ObjectiveReport {
  /** 0 < objective < 1, e.g. 0.995. */
  objective: number;
  /** Over the SLO window. */
  total: number;
  good: number;
  /** good / total; null with no events. */
  sli: number | null;
  /** 1 - (bad share) / (1 - objective): 1 untouched, 0 spent, negative overspent. 1 with no events. */
  budgetRemaining: number;
  burn: Burn[];
  /** The SLI meets the objective (true with no events). */
  met: boolean;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function burnRate(c: Counts, objective: number): number {
  if (c.total <= 0) return 0;
  return round((c.total - c.good) / c.total / (1 - objective));
}

export function budgetRemaining(c: Counts, objective: number): number {
  if (c.total <= 0) return 1;
  return round(1 - (c.total - c.good) / c.total / (1 - objective));
}

/** The report of one objective: the SLO window's counts and the counts of each burn window. */
export function objectiveReport(
  objective: number,
  sloWindow: Counts,
  burnWindows: { window: string; counts: Counts }[],
): ObjectiveReport {
  if (!(objective > 0 && objective < 1)) throw new RangeError(`objective must be in (0, 1), got ${objective}`);
  return {
    objective,
    total: sloWindow.total,
    good: sloWindow.good,
    sli: sloWindow.total > 0 ? round(sloWindow.good / sloWindow.total, 6) : null,
    budgetRemaining: budgetRemaining(sloWindow, objective),
    burn: burnWindows.map(({ window, counts }) => ({
      window,
      total: counts.total,
      bad: counts.total - counts.good,
      badShare: counts.total > 0 ? round((counts.total - counts.good) / counts.total, 6) : 0,
      burnRate: burnRate(counts, objective),
    })),
    met: sloWindow.total === 0 || sloWindow.good / sloWindow.total >= objective,
  };
}
