// The chaos suite's run: for each fault in turn, a mixed workload runs against the stack while the fault is
// injected and healed; /health is sampled throughout. Per fault it reports the answers served and failed by
// status, the time to detect (until /health shows the fault, or cannot be reached), the time to recover (from
// the heal until /health is as before the fault and a checkout got a definite answer again), and whether every
// invariant held afterwards (./invariants.ts). Bounded: each fault lasts `faultMs`, recovery is awaited at most
// `recoverMs`, settling at most `settleMs`, and the whole run stops at `deadlineMs`.
import { createStorefrontClient } from '../../lib/client';
import { sql } from '../sql';
import type { ChaosControls, Fault } from './faults';
import { type Check, checkInvariants } from './invariants';
import { KINDS, type Tally, Workload } from './workload';

export interface ChaosOptions {
  url: string;
  primaryUrl: string;
  stripeUrl: string;
  stripeKey: string;
  merchant: { email: string; password: string };
  controls: ChaosControls;
  faults: Fault[];
  hasRedis: boolean;
  hasDbFaultProxy: boolean;
  shoppers: number;
  /** Units on hand per SKU: few enough that the workload sells some out (the oversell check bites). */
  units: number;
  faultMs: number;
  /** Healthy traffic before the first fault. */
  warmupMs: number;
  recoverMs: number;
  settleMs: number;
  deadlineMs: number;
  /** A distinct IPv6 prefix (three groups) for this run's shoppers. */
  addressPrefix: string;
  log: (line: string) => void;
}

/** The longest one fault may take: its length, a heal (a restart), recovery, the drain and settling. */
export const perFaultBudget = (o: Pick<ChaosOptions, 'faultMs' | 'recoverMs' | 'settleMs'>) =>
  o.faultMs + 150_000 + o.recoverMs + 45_000 + o.settleMs + 20_000;

export interface FaultReport {
  fault: string;
  what: string;
  skipped?: string;
  /** Answers during the fault and its recovery, by kind and status. */
  tally?: Tally;
  detectMs: number | null;
  /** From the injection until the heal returned (a restart's own time included). */
  faultMs?: number;
  /** Checkouts in flight when the fault was injected. */
  inFlight?: number;
  recoverMs: number | null;
  settledMs?: number;
  checks: Check[];
  ok: boolean;
}

/** A /health sample: when it was sent, when its answer (or its failure) came, and the status it said. */
type Health = { at: number; answeredAt: number; status: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples GET /health every 500 ms (a 4 s deadline each) until stopped. */
function healthSampler(url: string, address: string) {
  const samples: Health[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      let status = 'unreachable';
      try {
        const res = await fetch(`${url}/health`, {
          headers: { 'cf-connecting-ip': address },
          signal: AbortSignal.timeout(4000),
        });
        status =
          res.status === 429 ? 'limited' : (((await res.json()) as { status?: string }).status ?? String(res.status));
      } catch {
        // no answer: the gateway is down or hung
      }
      samples.push({ at, answeredAt: Date.now(), status });
      await sleep(Math.max(0, 500 - (Date.now() - at)));
    }
  })();
  return {
    samples,
    latest: () => samples.at(-1)?.status,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** A product of this run with two SKUs, `units` on hand each (SQL for the product, the admin API for stock). */
async function saleSkus(o: ChaosOptions, runId: string) {
  const slug = `chaos-${runId}`;
  const skus = [`CHAOS-${runId}-A`.toUpperCase(), `CHAOS-${runId}-B`.toUpperCase()];
  const [row] = await sql<{ id: string }>(
    o.primaryUrl,
    `insert into products (slug, title, description, brand, category_id, price_amount, currency, images)
     values ($1, $2, 'Bought by the chaos suite.', 'Chaos', (select id from categories order by id limit 1), 1500, 'USD', '[]')
     returning id`,
    [slug, `Chaos ${runId}`],
  );
  for (const sku of skus)
    await sql(
      o.primaryUrl,
      `insert into product_variants (product_id, sku, title, options, price_amount, currency)
       values ($1, $2, $2, '{}', 1500, 'USD')`,
      [row!.id, sku],
    );
  const api = createStorefrontClient(o.url, {
    timeoutMs: 15_000,
    headers: { 'cf-connecting-ip': `${o.addressPrefix}:ffff::1` },
  });
  const login = await api.POST('/v1/auth/login', { body: o.merchant });
  if (!login.data) throw new Error(`chaos: merchant login failed: ${login.response.status}`);
  const merchant = createStorefrontClient(o.url, {
    token: login.data.accessToken,
    timeoutMs: 15_000,
    headers: { 'cf-connecting-ip': `${o.addressPrefix}:ffff::1` },
  });
  // Each fault's window gets `units` more of each SKU, so every window sells out some and none starts sold out.
  const restock = async () => {
    for (const sku of skus) {
      const level = await merchant.GET('/v1/inventory/{sku}', { params: { path: { sku } } });
      const onHand = (level.data ? level.data.sold + level.data.held : 0) + o.units;
      const put = await merchant.PUT('/v1/admin/inventory/{sku}', {
        params: { path: { sku } },
        body: { onHand, reason: 'chaos suite stock for the next fault' },
      });
      if (!put.data) throw new Error(`chaos: stock for ${sku}: ${put.response.status} ${JSON.stringify(put.error)}`);
    }
  };
  await restock();
  return { skus, restock };
}

export async function runChaos(o: ChaosOptions): Promise<FaultReport[]> {
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const deadline = Date.now() + o.deadlineMs;
  const { skus, restock } = await saleSkus(o, runId);
  o.log(`chaos: SKUs ${skus.join(', ')}, ${o.units} units each; ${o.shoppers} shoppers`);
  const workload = new Workload({
    url: o.url,
    skus,
    words: ['shirt', 'classic', 'wool', 'boot', 'lamp', 'chaos'],
    shoppers: o.shoppers,
    addressPrefix: o.addressPrefix,
    log: (l) => o.log(`chaos: ${l}`),
  });
  const address = `${o.addressPrefix}:fffe::1`;
  const health = healthSampler(o.url, address);
  const reports: FaultReport[] = [];
  try {
    workload.start();
    await sleep(o.warmupMs);
    for (const fault of o.faults) {
      const missing =
        fault.needs === 'redis' && !o.hasRedis
          ? 'no Redis in this stack'
          : fault.needs === 'dbFaultProxy' && !o.hasDbFaultProxy
            ? 'no fault proxy before Postgres in this stack'
            : undefined;
      if (missing) {
        reports.push({
          fault: fault.name,
          what: fault.what,
          skipped: missing,
          detectMs: null,
          recoverMs: null,
          checks: [],
          ok: true,
        });
        continue;
      }
      // A fault is started only if the worst it may take (its length, the heal, recovery, the drain and settling)
      // still ends before the deadline: the run stays bounded, and no fault is left in place by a timeout.
      if (Date.now() + perFaultBudget(o) > deadline) {
        reports.push({
          fault: fault.name,
          what: fault.what,
          skipped: 'the run reached its deadline',
          detectMs: null,
          recoverMs: null,
          checks: [],
          ok: false,
        });
        continue;
      }
      const before = health.latest() ?? 'ok';
      workload.takeTally();
      o.log(`chaos: ${fault.name}: ${fault.what} (health before: ${before})`);
      if (fault.duringCheckouts) {
        const until = Date.now() + 5000;
        while (workload.checkoutsInFlight() === 0 && Date.now() < until) await sleep(10);
      }
      const inFlight = workload.checkoutsInFlight();
      const injectedAt = Date.now();
      try {
        await fault.inject(o.controls);
        await sleep(o.faultMs);
      } finally {
        await fault.heal(o.controls); // also when the injection threw: nothing is left hung, stopped or failing
      }
      const healedAt = Date.now();
      if (fault.duringCheckouts) o.log(`chaos: ${fault.name}: ${inFlight} checkouts were in flight`);
      // Recovered: /health is as it was before the fault, and a checkout got a definite answer since the heal.
      let recoveredAt: number | null = null;
      while (Date.now() - healedAt < o.recoverMs) {
        const h = health.samples.at(-1);
        if (h && h.at >= healedAt && h.status === before && workload.lastDefiniteCheckoutAt() > healedAt) {
          recoveredAt = Date.now();
          break;
        }
        await sleep(250);
      }
      // Detected when a sample sent after the injection came back saying something else (counted at its answer:
      // a probe that took 2 s to fail was not seen to fail sooner).
      const seen = health.samples.find((h) => h.at >= injectedAt && h.status !== before);
      const detectMs = seen && seen.answeredAt <= healedAt ? seen.answeredAt - injectedAt : null;
      const tally = workload.takeTally();
      // The invariants are checked with the workload at rest, then it runs again for the next fault.
      await workload.stop();
      const { checks, settledMs } = await checkInvariants(
        {
          url: o.url,
          primaryUrl: o.primaryUrl,
          stripeUrl: o.stripeUrl,
          stripeKey: o.stripeKey,
          skus,
          address,
          settleMs: o.settleMs,
          log: o.log,
        },
        workload,
      );
      if (recoveredAt === null)
        checks.push({
          name: 'recovers',
          ok: false,
          detail: `not recovered within ${o.recoverMs / 1000} s of the heal`,
        });
      const report: FaultReport = {
        fault: fault.name,
        what: fault.what,
        tally,
        detectMs,
        faultMs: healedAt - injectedAt,
        inFlight,
        recoverMs: recoveredAt === null ? null : recoveredAt - healedAt,
        settledMs,
        checks,
        ok: checks.every((c) => c.ok),
      };
      reports.push(report);
      o.log(formatReport(report));
      await restock();
      workload.start();
    }
  } finally {
    await workload.stop(15_000);
    await health.stop();
  }
  return reports;
}

const tallyLine = (t: Tally) =>
  KINDS.map((k) => {
    const byStatus = Object.entries(t[k]).sort(([a], [b]) => a.localeCompare(b));
    return `${k} ${byStatus.map(([s, n]) => `${s}:${n}`).join(' ') || '-'}`;
  }).join(' | ');

export function formatReport(r: FaultReport): string {
  if (r.skipped) return `chaos: ${r.fault}: skipped (${r.skipped})`;
  const ms = (v: number | null | undefined) =>
    v === null || v === undefined ? 'not seen' : `${(v / 1000).toFixed(1)} s`;
  const served = r.tally
    ? KINDS.reduce(
        (n, k) =>
          n +
          Object.entries(r.tally![k])
            .filter(([s]) => Number(s) > 0 && Number(s) < 500)
            .reduce((m, [, c]) => m + c, 0),
        0,
      )
    : 0;
  const failed = r.tally
    ? KINDS.reduce(
        (n, k) =>
          n +
          Object.entries(r.tally![k])
            .filter(([s]) => Number(s) === 0 || Number(s) >= 500)
            .reduce((m, [, c]) => m + c, 0),
        0,
      )
    : 0;
  return [
    `chaos: ${r.fault}: ${r.ok ? 'INVARIANTS HELD' : 'INVARIANT BROKEN'}; served ${served}, failed ${failed} (5xx or no answer); fault lasted ${ms(r.faultMs)}, detect ${ms(r.detectMs)}, recover ${ms(r.recoverMs)}, settled in ${ms(r.settledMs)}`,
    `  answers: ${r.tally ? tallyLine(r.tally) : '-'}`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
  ].join('\n');
}
