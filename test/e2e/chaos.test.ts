// The chaos suite's short version (`npm run chaos` runs the whole one against a stack of its own): the mixed
// workload runs against the test stack while each fault is injected in turn, through the global setup's control
// endpoint, and every invariant must hold afterwards. Serial (test/stack.config.ts): it hangs and kills Postgres,
// stops Redis, slows Stripe and crashes the workers for everyone.
import { describe, expect, inject, it } from 'vitest';
import { faultsNamed } from '../../dev/chaos/faults';
import { formatReport, runChaos } from '../../dev/chaos/run';
import { STRIPE_DEV_SECRET_KEY } from '../../dev/stack';
import { devAccounts, gateway } from './helpers';
import { pgControl } from './pg-control';

const stripeFaults = async (delayMs: number, errorRate: number) => {
  const res = await fetch(`${inject('stripeUrl')}/_local/faults?delay_ms=${delayMs}&error_rate=${errorRate}`, {
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`stripe faults: ${res.status}`);
};

describe('chaos suite (short)', () => {
  it('keeps every invariant through each fault, detects it and recovers', { timeout: 600_000 }, async () => {
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
      faults: faultsNamed(
        process.env.CHAOS_FAULTS ??
          'primary-hung,primary-killed,replica-killed,stripe-slow,stripe-5xx,redis-down,workers-crashed',
      ),
      hasRedis,
      hasDbFaultProxy: false, // the test stack's workers reach Postgres directly: `npm run chaos` runs that fault
      shoppers: 6,
      units: 15,
      faultMs: 3000,
      warmupMs: 2000,
      recoverMs: 60_000,
      settleMs: 90_000,
      deadlineMs: 420_000,
      addressPrefix: '2001:db8:c4a1',
      log: (l) => console.log(l),
    }).finally(() => stripeFaults(0, 0));
    const summary = reports.map(formatReport).join('\n');
    console.log(summary);
    for (const r of reports) {
      expect(r.ok, summary).toBe(true);
      if (r.skipped) continue;
      expect(r.recoverMs, `${r.fault} recovered`).not.toBeNull();
      // Something was served while each fault lasted: browsing keeps answering whatever breaks behind it.
      const served = Object.entries(r.tally!.browse).filter(([s]) => Number(s) === 200);
      if (r.fault !== 'workers-crashed') expect(served.length, `${r.fault}: browsing served`).toBeGreaterThan(0);
    }
  });
});
