// The gateway's memo of public catalog answers: the last answer for a URL, kept in the isolate for CATALOG_MEMO_MS
// (default 250 ms), so a hot list or product page is answered without the catalog RPC (under `wrangler dev` a hop
// costs about as much workerd CPU as a whole bare request: issue 10). Answers are the same for every caller (public,
// cacheable), so the memo keys on the URL alone. Only successful answers are kept; an error is never memoized.
//
// Staleness: a merchant's change reaches shoppers within the catalog's bound (GENERATION_TTL_MS plus one read)
// plus CATALOG_MEMO_MS (docs/catalog.md). Memory: at most MAX_ENTRIES answers of at most MAX_BODY bytes each
// (~12 MB at worst), the least recently stored first out.
import type { CachedAnswer } from '../../../../lib/contracts/catalog';

const MAX_ENTRIES = 200;
const MAX_BODY = 64 * 1024;

interface Entry {
  answer: CachedAnswer;
  storedAt: number;
}

export class CatalogMemo {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number) {}

  /** The answer stored for `key` within the TTL, as a hit of its own (x-cache HIT, its age grown). */
  get(key: string, now = Date.now()): CachedAnswer | undefined {
    if (this.ttlMs <= 0) return undefined;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now - e.storedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    // A hit of the memo is a hit, unless the catalog itself answered from a stale entry (it says so).
    const cache = e.answer.cache === 'STALE' ? 'STALE' : 'HIT';
    return { ...e.answer, cache, age: e.answer.age + (now - e.storedAt) / 1000 };
  }

  /** `askedAt`: when the catalog was asked, so an answer that took long is not kept longer than the bound. */
  set(key: string, answer: CachedAnswer, askedAt = Date.now()): void {
    // Only public answers: one meant for a single caller (or not to be stored) is never memoised.
    if (this.ttlMs <= 0 || answer.body.length > MAX_BODY || !answer.cacheControl.startsWith('public')) return;
    this.entries.delete(key);
    this.entries.set(key, { answer, storedAt: askedAt });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}
