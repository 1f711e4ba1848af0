// The chaos suite's short version (`npm run chaos` runs the whole one against a stack of its own): the mixed
// workload runs against the test stack while each fault is injected in turn, through the global setup's control
// endpoint, and every invariant must hold afterwards. Serial (test/stack.config.ts): it hangs and kills Postgres,
// stops Redis, slows Stripe and crashes the workers for everyone. Not here: `postgres-latency` (the test stack's
// workers reach Postgres directly; `npm run chaos` puts its fault proxy between them).
import { afterAll, describe, expect, inject, it } from 'vitest';
import { faultsNamed } from '../../dev/chaos/faults';
import { formatReport, runChaos } from '../../dev/chaos/run';
import { STRIPE_DEV_SECRET_KEY } from '../../dev/stack';
import { devAccounts, gateway } from './helpers';
import { pgControl } from './pg-control';

const stripeFaults = async (delayMs: number, errorRate: number, lostRate = 0) => {
  const q = `delay_ms=${delayMs}&error_rate=${errorRate}&lost_rate=${lostRate}`;
  const res = await fetch(`${inject('stripeUrl')}/_local/faults?${q}`, {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`stripe faults: ${res.status}`);
};

// The faults this file injects in CI (CHAOS_TEST_FAULTS names others when run by hand): one per dependency that the
// other serial files do not already take down under load. `npm run chaos` runs them all.
const FAULTS = process.env.CHAOS_TEST_FAULTS ?? 'primary-killed,stripe-5xx,redis-down,workers-crashed';
// Faults /health must show while they last.
const SEEN_BY_HEALTH = new Set(['primary-hung', 'primary-killed', 'replica-killed', 'redis-down', 'workers-crashed']);
const DEADLINE_MS = 1_200_000;

// Whatever happened, the files after this one find Postgres running and Stripe without faults (each fault is also
// healed in a `finally` by the run itself; these are no-ops then).
afterAll(async () => {
  await stripeFaults(0, 0).catch(() => {});
  await pgControl('resumePrimary').catch(() => {});
  await pgControl('startPrimary').catch(() => {});
  await pgControl('startReplica').catch(() => {});
});

describe('chaos suite (short)', () => {
  it('keeps every invariant through each fault, detects it and recovers', {
    timeout: DEADLINE_MS + 60_000,
  }, async () => {
    const merchant = devAccounts().find((a) => a.role === 'merchant')!;
    const hasRedis = inject('rateLimitBackend') === 'upstash';
    const reports = await runChaos({
      url: gateway(),
      primaryUrl: inject('databaseUrl'),
      stripeUrl: inject('stripeUrl'),
      stripeKey: STRIPE_DEV_SECRET_KEY,
      merchant: { email: merchant.email, password: merchant.password },
      controls: {
        signalPostgres: (server, signal) => {
          if (server === 'primary')
            return pgControl(
              signal === 'SIGSTOP' ? 'hangPrimary' : signal === 'SIGCONT' ? 'resumePrimary' : 'killPrimary',
            );
          if (signal !== 'SIGKILL') throw new Error('the test stack kills replicas only');
          return pgControl('killReplica');
        },
        startPostgres: (server) => pgControl(server === 'primary' ? 'startPrimary' : 'startReplica'),
        stopRedis: () => pgControl('stopRedis'),
        startRedis: () => pgControl('startRedis'),
        stripeFaults,
        crashWorkers: () => pgControl('crashWorkers'),
        startWorkers: () => pgControl('startWorkers'),
      },
      faults: faultsNamed(FAULTS),
      hasRedis,
      hasDbFaultProxy: false,
      shoppers: 6,
      units: 15,
      faultMs: 3000,
      warmupMs: 2000,
      recoverMs: 60_000,
      settleMs: 90_000,
      deadlineMs: DEADLINE_MS,
      addressPrefix: '2001:db8:c4a1',
      log: (l) => console.log(l),
    });
    const summary = reports.map(formatReport).join('\n');
    console.log(summary);
    const ran = reports.filter((r) => !r.skipped);
    expect(ran.length, summary).toBeGreaterThan(0);
    for (const r of reports) {
      expect(r.ok, summary).toBe(true);
      if (r.skipped) continue;
      expect(r.recoverMs, `${r.fault} recovered`).not.toBeNull();
      if (SEEN_BY_HEALTH.has(r.fault)) expect(r.detectMs, `${r.fault} detected by /health`).not.toBeNull();
      // Something was served while each fault lasted: browsing keeps answering whatever breaks behind it.
      if (r.fault !== 'workers-crashed')
        expect(r.tally!.browse['200'] ?? 0, `${r.fault}: browsing served`).toBeGreaterThan(0);
    }
    // Not vacuous: orders were accepted (and each one's key sent again), and the crash caught checkouts in flight.
    const accepted = ran.reduce((n, r) => n + (r.tally!.checkout['202'] ?? 0), 0);
    expect(accepted, summary).toBeGreaterThan(0);
    const crash = reports.find((r) => r.fault === 'workers-crashed' && !r.skipped);
    if (crash) expect(crash.inFlight, summary).toBeGreaterThan(0);
  });
});
