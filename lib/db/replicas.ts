// Reads on the regional read replicas: the request's region's replica first (the region travels with the trace,
// lib/db/regions.ts), then the other replicas, then the primary. A replica is skipped while its measured replay lag
// is over REPLICA_MAX_LAG_MS, while it was just found unreachable, and until it has replayed the WAL position a read
// needs: the catalog generation of a cache fill, or the client's own last write (read-your-writes: the trace's
// `readAfter`, lib/db/read-after.ts; such a read waits at most READ_AFTER_WAIT_MS in all, its lag check included, for
// a replica, asking the region's candidates at once, then reads the primary). One mechanism for the catalog's cache
// fills and the admin's reads (docs/catalog.md).
//
// Lag is measured, per isolate, at most every REPLICA_LAG_CHECK_MS and only on a read that reaches Postgres: one
// query on the primary (pg_current_wal_lsn) and one per replica (pg_last_wal_replay_lsn), side by side. The isolate
// keeps the primary's positions with the time it saw them; a replica's lag is how long ago the primary was at the
// oldest position the replica has still not replayed (0 when it has replayed the newest). So it is a lower bound
// with the check interval as its resolution, never a guess from an idle primary's last commit time. No read awaits a
// check another request began (freshStates).
import { z } from 'zod';
import { lsnToBigInt } from '../catalog/generation';
import { log } from '../log';
import { currentTrace } from '../trace';
import type { DbSettings } from './client';
import { isDbUnavailable, isRecoveryConflict } from './errors';
import { laterLsn } from './read-after';
import { regionName } from './regions';

export interface Replica {
  region: string;
  url: string;
}

const postgresUrl = /^postgres(ql)?:\/\/\S+$/;

/** DATABASE_REPLICAS: "us=postgres://…,eu=postgres://…", one replica per region, in fallback order. */
export const replicaListVar = z.string().transform((value, ctx): Replica[] => {
  const list: Replica[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = item.indexOf('=');
    const region = regionName.safeParse(item.slice(0, at).trim());
    const url = item.slice(at + 1).trim();
    // The value is a secret: the message never repeats it.
    if (at < 1 || !region.success || !postgresUrl.test(url)) {
      ctx.addIssue({ code: 'custom', message: 'expected <region>=postgres://…, comma-separated (region like "eu")' });
      return z.NEVER;
    }
    if (list.some((r) => r.region === region.data)) {
      ctx.addIssue({ code: 'custom', message: `region "${region.data}" is listed twice` });
      return z.NEVER;
    }
    list.push({ region: region.data, url });
  }
  return list;
});

/** Every configured replica: DATABASE_REPLICAS, else DATABASE_REPLICA_URL as one (region "default"), else none. */
export function replicasOf(settings: DbSettings): Replica[] {
  if (settings.DATABASE_REPLICAS?.length) return settings.DATABASE_REPLICAS;
  return settings.DATABASE_REPLICA_URL ? [{ region: 'default', url: settings.DATABASE_REPLICA_URL }] : [];
}

/** The replicas in the order a read in `region` tries them: its own first, then the others as configured. */
export function readOrder(replicas: Replica[], region: string | undefined): Replica[] {
  const own = replicas.filter((r) => r.region === region);
  return [...own, ...replicas.filter((r) => r.region !== region)];
}

/** One primary position and when this isolate saw it. */
export interface Sample {
  at: number;
  lsn: bigint;
}

/** How long ago (ms) the primary was at the oldest sampled position `replayed` has not reached; 0 if none. */
export function lagFrom(samples: Sample[], replayed: bigint, now: number): number {
  const first = samples.find((s) => s.lsn > replayed);
  return first ? Math.max(0, now - first.at) : 0;
}

interface ReplicaState {
  /** The newest position known replayed; null: not a standby (a primary given as a replica) or never measured. */
  replayed: bigint | null;
  /** Measured lag in ms; null: not measured (the primary or the replica did not answer the last check). */
  lagMs: number | null;
  /** Unreachable at the last check or read: skipped until the next check. */
  down: boolean;
}

// Per isolate: the primary's positions (oldest first), each replica's state by URL, and when the check under way
// began (only that time is shared, never the check's promise: see freshStates).
const samples: Sample[] = [];
const states = new Map<string, ReplicaState>();
let checkedAt = Number.NEGATIVE_INFINITY;
let checking: { since: number } | undefined;
/** Moved on by resetReplicaStates: a check begun before it records nothing. */
let epoch = 0;
const MAX_SAMPLES = 256;

type Query = (url: string, text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

async function check(settings: DbSettings, replicas: Replica[], query: Query): Promise<void> {
  const begun = epoch;
  const [primary, ...answers] = await Promise.allSettled([
    query(settings.DATABASE_URL, 'select pg_current_wal_lsn()::text as lsn'),
    ...replicas.map((r) => query(r.url, 'select pg_last_wal_replay_lsn()::text as lsn')),
  ]);
  if (begun !== epoch) return;
  const now = Date.now();
  const primaryLsn = primary?.status === 'fulfilled' ? primary.value[0]?.lsn : undefined;
  if (typeof primaryLsn === 'string') {
    const lsn = lsnToBigInt(primaryLsn);
    const last = samples[samples.length - 1];
    if (!last || lsn > last.lsn) samples.push({ at: now, lsn });
    const keepMs = Math.max(60_000, 2 * settings.REPLICA_MAX_LAG_MS);
    // The newest stays however old: a replica behind an idle primary's last position still measures late.
    while (samples.length > MAX_SAMPLES || (samples.length > 1 && now - samples[0]!.at > keepMs)) samples.shift();
  }
  replicas.forEach((r, i) => {
    const answer = answers[i]!;
    if (answer.status === 'rejected') {
      states.set(r.url, { replayed: states.get(r.url)?.replayed ?? null, lagMs: null, down: true });
      return;
    }
    const text = answer.value[0]?.lsn;
    const replayed = typeof text === 'string' ? lsnToBigInt(text) : null;
    const lagMs = replayed === null ? 0 : typeof primaryLsn === 'string' ? lagFrom(samples, replayed, now) : null;
    states.set(r.url, { replayed, lagMs, down: false });
  });
  checkedAt = now;
}

/**
 * This isolate's view of each replica, checked again when older than REPLICA_LAG_CHECK_MS. No read awaits a check
 * another request began (workerd cancels a request's I/O with it, and a read awaiting it would fail): while one is
 * under way (begun within DB_TIMEOUT_MS), a read whose replicas all have a state goes on with them as they are, and a
 * read that lacks one checks itself. So one check at a time refreshes a warm isolate, and a check whose request ended
 * holds up nothing.
 */
async function freshStates(settings: DbSettings, replicas: Replica[], query: Query): Promise<void> {
  const now = Date.now();
  const measured = replicas.every((r) => states.has(r.url));
  if (measured && now - checkedAt < settings.REPLICA_LAG_CHECK_MS) return;
  if (measured && checking && now - checking.since < settings.DB_TIMEOUT_MS) return;
  const mine = { since: now };
  checking = mine;
  try {
    await check(settings, replicas, query);
  } catch (err) {
    log.warn('replica lag check failed', { error: String(err) });
  } finally {
    if (checking === mine) checking = undefined;
  }
}

/** Resolves when `work` settles or at `until` (ms since the epoch), whichever is first; never rejects. */
function settledBy(work: Promise<unknown>, until: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** Each replica's measured state as this isolate last saw it (health and the ops figures report it). */
export function replicaStates(replicas: Replica[]) {
  return replicas.map((r) => {
    const s = states.get(r.url);
    return { region: r.region, lagMs: s?.lagMs ?? null, down: s?.down ?? false };
  });
}

/** Where a read went: `primary`, or `replica:<region>`. */
export type ReadSource = 'primary' | `replica:${string}`;

export interface RoutedRead {
  /** The request's region (from the trace), if it has one. */
  region?: string;
  /** The read needs this WAL position (the catalog generation): a replica that has not replayed it is passed over. */
  minLsn?: string;
  /**
   * A read of the catalog: the trace's `readAfter` applies only when its write was a catalog write
   * (`readAfterScope`); an order's or a stock change's position is nothing the catalog needs.
   */
  catalog?: boolean;
}

/** How often a read-your-writes read asks the replicas behind its position again while it waits (ms). */
const REPLAY_POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks `r` for its replay position and remembers it; a replica that cannot be reached is marked down. */
async function replayCheck(r: Replica, query: Query): Promise<void> {
  try {
    const [row] = await query(r.url, 'select pg_last_wal_replay_lsn()::text as lsn');
    const lsn = typeof row?.lsn === 'string' ? lsnToBigInt(row.lsn) : null;
    const state = states.get(r.url);
    if (state && lsn !== null && (state.replayed === null || lsn > state.replayed)) state.replayed = lsn;
  } catch (err) {
    const state = states.get(r.url);
    if (isDbUnavailable(err) && state) state.down = true;
    log.warn('replica replay check failed', { region: r.region, error: String(err) });
  }
}

/** Resolves when one of `asks` answers true, when all have settled, or at `until` (ms since the epoch) if given. */
function firstOf(asks: Promise<boolean>[], until: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    let left = asks.length;
    const timer = until === undefined ? undefined : setTimeout(done, Math.max(0, until - Date.now()));
    function done() {
      clearTimeout(timer);
      resolve();
    }
    for (const ask of asks) {
      ask.then((yes) => {
        left--;
        if (yes || left === 0) done();
      });
    }
    if (left === 0) done();
  });
}

/**
 * Runs `read` on the first usable replica in the request region's order, then the primary: a replica is passed over
 * while its lag is over the bound, while it was found unreachable, or before it has replayed the position the read
 * needs (`minLsn`, and the trace's `readAfter`: read-your-writes, lib/db/read-after.ts); a replica that turns out
 * unreachable during the read is marked so and the next one is tried. The replicas ahead (in that order) of the first
 * one known to have the position are asked for their replay position, all at once, before one is chosen. A read
 * with a `readAfter` that no usable replica has replayed asks them again every REPLAY_POLL_MS (a replica whose
 * answer is still on its way is not asked again), and reads the first that has it; READ_AFTER_WAIT_MS after the read
 * began (the lag check included) it stops waiting, however slow an answer, and reads the primary; with
 * READ_AFTER_WAIT_MS 0 it waits for nothing. A catalog fill (`minLsn` alone) asks once and goes to the primary.
 * Errors other than an outage (and the primary's outage) are thrown as they are.
 */
export async function routedRead<T>(
  settings: DbSettings,
  query: Query,
  read: (url: string, source: ReadSource) => Promise<T>,
  opts: RoutedRead = {},
): Promise<{ value: T; source: ReadSource }> {
  const trace = currentTrace();
  const readAfter = opts.catalog && trace?.readAfterScope !== 'catalog' ? undefined : trace?.readAfter;
  // A read with a token waits for a replica READ_AFTER_WAIT_MS at most from here, the lag check included (0: not at
  // all: a replica already known to have replayed the position, else the primary).
  const deadline = readAfter ? Date.now() + settings.READ_AFTER_WAIT_MS : undefined;
  const replicas = readOrder(replicasOf(settings), opts.region ?? trace?.region);
  if (replicas.length) {
    const checked = freshStates(settings, replicas, query); // never rejects
    if (deadline === undefined) await checked;
    else if (deadline > Date.now()) await settledBy(checked, deadline);
  }
  const wanted = laterLsn(opts.minLsn, readAfter);
  const needed = wanted ? lsnToBigInt(wanted) : 0n;
  /** The replicas a read may use now, in the order they are tried. */
  const usable = () =>
    replicas.filter((r) => {
      const state = states.get(r.url);
      return state && !state.down && !(state.lagMs !== null && state.lagMs > settings.REPLICA_MAX_LAG_MS);
    });
  /** Whether `r` is known to have replayed `needed` (a server that is not a standby always has). */
  const ready = (r: Replica) => {
    const replayed = states.get(r.url)?.replayed;
    return replayed === null || (replayed !== undefined && replayed >= needed);
  };
  // This read's replay checks in flight, by replica: each answers whether its replica has the position now.
  const asking = new Map<string, Promise<boolean>>();
  const ask = (r: Replica) => {
    let pending = asking.get(r.url);
    if (!pending) {
      pending = replayCheck(r, query)
        .then(() => ready(r))
        .finally(() => asking.delete(r.url));
      asking.set(r.url, pending);
    }
    return pending;
  };
  for (;;) {
    const started = Date.now();
    const candidates = usable();
    const first = candidates.findIndex(ready);
    const before = first === -1 ? candidates : candidates.slice(0, first);
    // Until one has the position, all have answered, or (a read with a token) the poll interval has passed.
    if (before.length && !(deadline !== undefined && started >= deadline)) {
      await firstOf(before.map(ask), deadline === undefined ? undefined : Math.min(deadline, started + REPLAY_POLL_MS));
    }
    for (const r of usable()) {
      if (!ready(r)) continue;
      const source: ReadSource = `replica:${r.region}`;
      try {
        return { value: await read(r.url, source), source };
      } catch (err) {
        if (isRecoveryConflict(err)) {
          // Replay cancelled this read (a vacuum or a lock on the primary): the replica is fine and stays in use, and
          // this read goes to the primary, once, instead of answering 500 (the other replicas replay the same WAL,
          // and each attempt has a deadline of its own: one retry keeps the read within two of them).
          log.warn('replica cancelled the read (conflict with recovery), reading the primary', { region: r.region });
          return { value: await read(settings.DATABASE_URL, 'primary'), source: 'primary' };
        }
        if (!isDbUnavailable(err)) throw err;
        const state = states.get(r.url);
        if (state) state.down = true;
        log.warn('replica unreachable, trying the next', { region: r.region, error: String(err) });
      }
    }
    if (usable().every(ready)) break; // nothing left to wait for
    if (deadline === undefined || Date.now() >= deadline) break;
    const rest = Math.min(started + REPLAY_POLL_MS, deadline) - Date.now();
    if (rest > 0) await sleep(rest);
  }
  return { value: await read(settings.DATABASE_URL, 'primary'), source: 'primary' };
}

/** Test hook: forget this isolate's measurements (a check still under way records nothing). */
export function resetReplicaStates(): void {
  epoch++;
  checking = undefined;
  samples.length = 0;
  states.clear();
  checkedAt = Number.NEGATIVE_INFINITY;
}
