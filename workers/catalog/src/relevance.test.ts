// The relevance key (./relevance.ts): tier above static rank, in stock above units sold, and back again.
import { describe, expect, it } from 'vitest';
import { IN_STOCK, negatesWord, type RankTier, relevanceKey, searchTimeoutMs, TIER_UNIT, tierOf } from './relevance';

describe('the relevance key', () => {
  it('orders an exact title match above a stemmed one, any title match above any brand match above any description match, then in stock, then units', () => {
    const most = 2 ** 31 - 1; // the largest static rank: in stock with the most units
    expect(relevanceKey(5, 0)).toBeGreaterThan(relevanceKey(4, most));
    expect(relevanceKey(4, 0)).toBeGreaterThan(relevanceKey(2, most));
    expect(relevanceKey(2, 0)).toBeGreaterThan(relevanceKey(1, most));
    expect(relevanceKey(1, IN_STOCK)).toBeGreaterThan(relevanceKey(1, IN_STOCK - 1)); // out of stock, best seller
    expect(relevanceKey(1, IN_STOCK + 2)).toBeGreaterThan(relevanceKey(1, IN_STOCK + 1));
  });

  it('reads back into its tier and rank, and refuses what no tier and int4 rank make (tier 3: a key from before the exact tier)', () => {
    for (const tier of [1, 2, 4, 5] as RankTier[])
      for (const rank of [0, 1, IN_STOCK, 2 ** 31 - 1])
        expect(tierOf(relevanceKey(tier, rank))).toEqual({ tier, rank });
    for (const bad of [
      0,
      TIER_UNIT - 1,
      3 * TIER_UNIT + 7,
      6 * TIER_UNIT,
      TIER_UNIT + 0.5,
      Number.NaN,
      -TIER_UNIT,
      2 ** 60,
    ])
      expect(tierOf(bad), String(bad)).toBeNull();
  });
});

describe('how a query is read', () => {
  it('says a title match need not be a document match only when a word is negated', () => {
    expect(negatesWord('linen -dress')).toBe(true);
    expect(negatesWord('t-shirt')).toBe(true); // over-cautious: the whole-document condition is kept, nothing else
    expect(negatesWord('linen dress')).toBe(false);
    expect(negatesWord('"chef knife" or wok')).toBe(false);
  });
});

describe('the search statement’s timeout', () => {
  it('is below the request’s database deadline, so that Postgres gives up first', () => {
    expect(searchTimeoutMs(1500)).toBe(1000);
    for (const deadline of [1, 2, 100, 1500, 60_000]) {
      expect(searchTimeoutMs(deadline)).toBeGreaterThanOrEqual(1);
      if (deadline > 1) expect(searchTimeoutMs(deadline)).toBeLessThan(deadline);
    }
  });
});
