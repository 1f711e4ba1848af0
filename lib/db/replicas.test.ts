// Replica routing without a database: the region's replica first, lag measured from the primary's positions, the
// lag bound, a replica found down, the replay check for a WAL position, and the primary last.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTrace } from '../trace';
import { dbSettings } from './client';
import { lagFrom, readOrder, replicasOf, resetReplicaStates, routedRead } from './replicas';

const P = 'postgres://s:s@primary/db';
const US = 'postgres://s:s@us/db';
const EU = 'postgres://s:s@eu/db';

/** A fake cluster: the primary's position, each replica's replayed position, and which servers are down. */
function cluster() {
  const c = {
    primary: 0x100n,
    replayed: new Map<string, bigint>([
      [US, 0x100n],
      [EU, 0x100n],
    ]),
    down: new Set<string>(),
    /** Servers that answer a query only after this many ms. */
    slow: new Map<string, number>(),
    /** Servers whose next query never settles (its request was cancelled: workerd drops its I/O). */
    hang: new Set<string>(),
    /** How many lag checks (queries of the primary's position) were made. */
    checks: 0,
    reads: [] as string[],
    lsn: (n: bigint) => `0/${n.toString(16).toUpperCase()}`,
    query: async (url: string, text: string) => {
      if (text.includes('pg_current_wal_lsn')) c.checks++;
      if (c.hang.delete(url)) return new Promise<never>(() => {});
      if (c.slow.has(url)) await new Promise((resolve) => setTimeout(resolve, c.slow.get(url)));
      if (c.down.has(url)) throw new Error('fetch failed: ECONNREFUSED');
      if (text.includes('pg_current_wal_lsn')) return [{ lsn: c.lsn(c.primary) }];
      return [{ lsn: c.lsn(c.replayed.get(url)!) }];
    },
    read: async (url: string) => {
      if (c.down.has(url)) throw new Error('fetch failed: ECONNREFUSED');
      c.reads.push(url);
      return url;
    },
  };
  return c;
}

const settings = (vars: Record<string, string> = {}) =>
  dbSettings({
    DATABASE_URL: P,
    DATABASE_REPLICAS: `us=${US},eu=${EU}`,
    REPLICA_MAX_LAG_MS: '1000',
    REPLICA_LAG_CHECK_MS: '0',
    ...vars,
  });
/** One span for every read these tests make (the region and the read-after token vary). */
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const inRegion = <T>(region: string | undefined, fn: () => Promise<T>, readAfter?: string) =>
  withTrace({ traceparent, region, readAfter }, fn);
/** A read in `region` carrying a read-after token for `lsn`. */
const readAfterIn = (region: string, s: ReturnType<typeof settings>, c: ReturnType<typeof cluster>) => (lsn: string) =>
  inRegion(region, () => routedRead(s, c.query, c.read), lsn);

beforeEach(() => resetReplicaStates());
afterEach(() => vi.useRealTimers());

describe('replica settings', () => {
  it('reads DATABASE_REPLICAS by region, else DATABASE_REPLICA_URL as one, and refuses a bad list without its value', () => {
    expect(replicasOf(settings())).toEqual([
      { region: 'us', url: US },
      { region: 'eu', url: EU },
    ]);
    expect(replicasOf(dbSettings({ DATABASE_URL: P, DATABASE_REPLICA_URL: US }))).toEqual([
      { region: 'default', url: US },
    ]);
    expect(replicasOf(dbSettings({ DATABASE_URL: P }))).toEqual([]);
    for (const bad of [`us=${US},us=${EU}`, `US=${US}`, 'eu=mysql://x:hunter2@h/db', US]) {
      expect(() => dbSettings({ DATABASE_URL: P, DATABASE_REPLICAS: bad })).toThrow(/DATABASE_REPLICAS/);
      expect(() => dbSettings({ DATABASE_URL: P, DATABASE_REPLICAS: bad })).not.toThrow(/hunter2/);
    }
  });

  it("orders the replicas by the request's region", () => {
    const list = replicasOf(settings());
    expect(readOrder(list, 'eu').map((r) => r.region)).toEqual(['eu', 'us']);
    expect(readOrder(list, 'us').map((r) => r.region)).toEqual(['us', 'eu']);
    expect(readOrder(list, undefined).map((r) => r.region)).toEqual(['us', 'eu']);
    expect(readOrder(list, 'ap').map((r) => r.region)).toEqual(['us', 'eu']);
  });
});

describe('lag', () => {
  it('is how long ago the primary was at the oldest position the replica has not replayed', () => {
    const samples = [
      { at: 1000, lsn: 10n },
      { at: 2000, lsn: 20n },
      { at: 3000, lsn: 30n },
    ];
    expect(lagFrom(samples, 30n, 3500)).toBe(0);
    expect(lagFrom(samples, 25n, 3500)).toBe(500);
    expect(lagFrom(samples, 15n, 3500)).toBe(1500);
    expect(lagFrom(samples, 5n, 3500)).toBe(2500);
    expect(lagFrom([], 5n, 3500)).toBe(0);
  });
});

describe('routedRead', () => {
  it("reads the region's replica", async () => {
    const c = cluster();
    expect((await inRegion('eu', () => routedRead(settings(), c.query, c.read))).source).toBe('replica:eu');
    expect((await inRegion('us', () => routedRead(settings(), c.query, c.read))).source).toBe('replica:us');
    expect((await inRegion(undefined, () => routedRead(settings(), c.query, c.read))).source).toBe('replica:us');
  });

  it('skips a replica lagging over the bound, and reads it again once it has caught up', async () => {
    const c = cluster();
    const s = settings({ REPLICA_MAX_LAG_MS: '40' });
    const eu = () => inRegion('eu', () => routedRead(s, c.query, c.read));
    c.primary = 0x200n; // eu stays at 0x100: behind, but only just measured so
    c.replayed.set(US, 0x200n);
    expect((await eu()).source).toBe('replica:eu');
    await new Promise((r) => setTimeout(r, 60));
    expect((await eu()).source).toBe('replica:us');
    c.replayed.set(EU, 0x200n);
    expect((await eu()).source).toBe('replica:eu');
  });

  it('still measures a replica late behind an idle primary, however long ago its last write was', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const c = cluster();
    c.primary = 0x200n;
    c.replayed.set(US, 0x200n);
    const eu = () => inRegion('eu', () => routedRead(settings(), c.query, c.read));
    expect((await eu()).source).toBe('replica:eu');
    vi.setSystemTime(Date.now() + 120_000); // no write since: the primary's one position is two minutes old
    expect((await eu()).source).toBe('replica:us');
  });

  it('falls back to the next replica when one is down, then the primary', async () => {
    const c = cluster();
    c.down.add(EU);
    expect((await inRegion('eu', () => routedRead(settings(), c.query, c.read))).source).toBe('replica:us');
    c.down.add(US);
    expect((await inRegion('eu', () => routedRead(settings(), c.query, c.read))).source).toBe('primary');
  });

  it('marks a replica that fails during the read and tries the next', async () => {
    const c = cluster();
    let failEu = true;
    const read = async (url: string) => {
      if (url === EU && failEu) {
        failEu = false;
        throw new Error('Network connection lost');
      }
      return url;
    };
    const s = settings({ REPLICA_LAG_CHECK_MS: '60000' });
    expect((await inRegion('eu', () => routedRead(s, c.query, read))).source).toBe('replica:us');
    // Until the next check, eu is passed over.
    expect((await inRegion('eu', () => routedRead(s, c.query, read))).source).toBe('replica:us');
  });

  it('passes over a replica that has not replayed the position the read needs', async () => {
    const c = cluster();
    c.primary = 0x300n;
    c.replayed.set(US, 0x300n);
    const s = settings();
    const needs = (lsn: string) => inRegion('eu', () => routedRead(s, c.query, c.read, { minLsn: lsn }));
    expect((await needs('0/300')).source).toBe('replica:us');
    expect((await needs('0/100')).source).toBe('replica:eu');
    c.replayed.set(US, 0x200n);
    c.replayed.set(EU, 0x200n);
    resetReplicaStates();
    expect((await needs('0/300')).source).toBe('primary');
  });

  it("reads a token's write: a replica that has replayed it, else waits a bounded time for one, else the primary", async () => {
    const c = cluster();
    c.primary = 0x300n;
    c.replayed.set(US, 0x300n);
    const s = settings({ READ_AFTER_WAIT_MS: '200' });
    const readAfter = readAfterIn('eu', s, c);
    // eu has not replayed 0/300: us, which has, serves at once.
    expect((await readAfter('0/300')).source).toBe('replica:us');
    expect((await readAfter('0/100')).source).toBe('replica:eu');
    // Neither has: the read waits, and eu replaying the write within the bound serves it.
    c.replayed.set(US, 0x200n);
    resetReplicaStates();
    setTimeout(() => c.replayed.set(EU, 0x300n), 60);
    expect((await readAfter('0/300')).source).toBe('replica:eu');
    // Still neither past the bound: the primary, after waiting about READ_AFTER_WAIT_MS and no longer.
    c.primary = 0x400n;
    let started = Date.now();
    expect((await readAfter('0/400')).source).toBe('primary');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1000);
    // READ_AFTER_WAIT_MS=0: the primary at once; a generation alone (a catalog fill) never waits.
    started = Date.now();
    const noWait = settings({ READ_AFTER_WAIT_MS: '0' });
    const trace = { traceparent, region: 'eu' };
    expect((await withTrace({ ...trace, readAfter: '0/400' }, () => routedRead(noWait, c.query, c.read))).source).toBe(
      'primary',
    );
    expect((await inRegion('eu', () => routedRead(s, c.query, c.read, { minLsn: '0/400' }))).source).toBe('primary');
    expect(Date.now() - started).toBeLessThan(180); // less than one wait
  });

  it("asks the replicas behind a token's write at once, and never waits on a slow one past READ_AFTER_WAIT_MS", async () => {
    const c = cluster();
    c.primary = 0x300n;
    const s = settings({ READ_AFTER_WAIT_MS: '200', REPLICA_LAG_CHECK_MS: '60000', REPLICA_MAX_LAG_MS: '600000' });
    await inRegion('us', () => routedRead(s, c.query, c.read)); // both measured, behind 0/300
    c.slow.set(US, 1500); // the region's replica answers its replay check after 1.5 s
    const readAfter = readAfterIn('us', s, c);
    // eu replays the write 60 ms in: it serves, though us has not answered yet.
    setTimeout(() => c.replayed.set(EU, 0x300n), 60);
    let started = Date.now();
    expect((await readAfter('0/300')).source).toBe('replica:eu');
    expect(Date.now() - started).toBeLessThan(1000);
    // Neither has 0/400: the primary, after about READ_AFTER_WAIT_MS in all, not after us's slow answer.
    c.primary = 0x400n;
    started = Date.now();
    expect((await readAfter('0/400')).source).toBe('primary');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('never holds a read on a lag check another request began: one that never ends blocks nothing', async () => {
    const c = cluster();
    const s = settings({ DB_TIMEOUT_MS: '200' });
    const within = <T>(ms: number, p: Promise<T>) =>
      Promise.race([p, new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);
    const eu = () => inRegion('eu', () => routedRead(s, c.query, c.read)).then((r) => r.source);
    // A cold isolate: the first read's check never ends; the next reads, knowing no state, check themselves.
    c.hang.add(P);
    void eu();
    expect(await within(100, eu())).toBe('replica:eu');
    // Warm: a read during another's check that never ends reads with the states as they are, at once.
    c.hang.add(P);
    void eu();
    const checks = c.checks;
    expect(await within(100, eu())).toBe('replica:eu');
    expect(c.checks).toBe(checks); // no second check while one is under way
    // Once the stuck check is past DB_TIMEOUT_MS, the next read checks again.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await within(100, eu())).toBe('replica:eu');
    expect(c.checks).toBe(checks + 1);
  });

  it("bounds a token's read by READ_AFTER_WAIT_MS from its start, a slow lag check included", async () => {
    const c = cluster();
    c.primary = 0x300n;
    c.replayed.set(US, 0x300n);
    const s = settings({ READ_AFTER_WAIT_MS: '200' });
    const readAfter = readAfterIn('eu', s, c);
    expect((await readAfter('0/300')).source).toBe('replica:us'); // measured: us has the write
    c.slow.set(P, 1500); // the next lag check waits 1.5 s on the primary
    const started = Date.now();
    // us, known to have replayed the write, serves once the wait is over, not after the check.
    expect((await readAfter('0/300')).source).toBe('replica:us');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1000);
    // READ_AFTER_WAIT_MS=0 waits for nothing, not even the lag check of a cold isolate: the primary at once.
    resetReplicaStates();
    const noWait = settings({ READ_AFTER_WAIT_MS: '0' });
    const at = Date.now();
    const trace = { traceparent, region: 'eu' };
    expect((await withTrace({ ...trace, readAfter: '0/300' }, () => routedRead(noWait, c.query, c.read))).source).toBe(
      'primary',
    );
    expect(Date.now() - at).toBeLessThan(500);
  });

  it('needs the later of the generation and the token', async () => {
    const c = cluster();
    c.primary = 0x300n;
    c.replayed.set(US, 0x300n);
    c.replayed.set(EU, 0x200n);
    const s = settings({ READ_AFTER_WAIT_MS: '200' });
    const trace = { traceparent, region: 'eu' };
    const read = (minLsn: string, readAfter: string) =>
      withTrace({ ...trace, readAfter }, () => routedRead(s, c.query, c.read, { minLsn }));
    expect((await read('0/100', '0/300')).source).toBe('replica:us');
    expect((await read('0/300', '0/100')).source).toBe('replica:us');
    expect((await read('0/100', '0/200')).source).toBe('replica:eu');
  });

  it("a catalog read needs a catalog write's token only: an order change's leaves it to the generation", async () => {
    const c = cluster();
    c.primary = 0x300n;
    c.replayed.set(US, 0x200n);
    c.replayed.set(EU, 0x200n);
    const s = settings({ READ_AFTER_WAIT_MS: '0' });
    const trace = { traceparent, region: 'eu' };
    const read = (readAfterScope: 'catalog' | 'other', catalog: boolean) =>
      withTrace({ ...trace, readAfter: '0/300', readAfterScope }, () =>
        routedRead(s, c.query, c.read, { minLsn: '0/100', catalog }),
      );
    expect((await read('other', true)).source).toBe('replica:eu');
    expect((await read('catalog', true)).source).toBe('primary');
    // Every other routed read (the merchant's orders, customers) honours any token.
    expect((await read('other', false)).source).toBe('primary');
  });

  it('reads a conflict with recovery again on the primary, once, and keeps the replica in use', async () => {
    const c = cluster();
    const conflict = (code: string) =>
      Object.assign(new Error('canceling statement due to conflict with recovery'), { code });
    const cancelling = new Map<string, string>();
    const read = async (url: string) => {
      const code = cancelling.get(url);
      if (code) {
        cancelling.delete(url);
        // As the Neon driver throws it: the server's error under `sourceError`.
        throw Object.assign(new Error('query failed'), { sourceError: conflict(code) });
      }
      c.reads.push(url);
      return url;
    };
    const s = settings({ REPLICA_LAG_CHECK_MS: '60000' });
    cancelling.set(EU, '40001');
    expect(await inRegion('eu', () => routedRead(s, c.query, read))).toEqual({ value: P, source: 'primary' });
    // Not marked down: the next read uses the region's replica again.
    expect((await inRegion('eu', () => routedRead(s, c.query, read))).source).toBe('replica:eu');
    // A buffer-pin deadlock with replay (40P01) alike; a read with a token too, without waiting out its wait.
    cancelling.set(EU, '40P01');
    c.reads.length = 0;
    expect((await inRegion('eu', () => routedRead(s, c.query, read), c.lsn(0x100n))).source).toBe('primary');
    expect(c.reads).toEqual([P]);
  });

  it('throws what is not an outage as it is', async () => {
    const c = cluster();
    const read = async () => {
      throw new Error('syntax error at or near "selec"');
    };
    await expect(inRegion('eu', () => routedRead(settings(), c.query, read))).rejects.toThrow(/syntax error/);
  });
});
