// `npm run chaos`: the chaos suite against a local stack of its own (its own ports and data under .data/chaos).
// A mixed workload (browse, search, cart, checkout, and Stripe's webhooks) runs while each fault is injected in
// turn: the Postgres primary hung (SIGSTOP) and killed, a replica killed, Stripe 2 s late and answering 500s,
// Redis down, 400 ms added between the workers and the primary (dev/fault-proxy.ts), wrangler/workerd killed in the middle of checkouts (clients send again with the same keys). Per
// fault it prints the answers by status, the time to detect and to recover, and whether every invariant held
// (dev/chaos/invariants.ts); it exits 1 when one broke. Knobs: CHAOS_FAULTS (comma-separated names; all when
// unset), CHAOS_FAULT_SECONDS (8), CHAOS_SHOPPERS (12), CHAOS_UNITS (40 per SKU), CHAOS_DEADLINE_SECONDS (1200).
import path from 'node:path';
import { faultsNamed } from './chaos/faults';
import { formatReport, runChaos } from './chaos/run';
import { projectRoot, STRIPE_DEV_SECRET_KEY, startStackOnFreePorts } from './stack';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};

async function main(): Promise<number> {
  const faults = faultsNamed(process.env.CHAOS_FAULTS);
  const log = (l: string) => console.log(l);
  log(`chaos: starting a stack of its own (.data/chaos); faults: ${faults.map((f) => f.name).join(', ')}`);
  const stack = await startStackOnFreePorts({
    dataRoot: path.join(projectRoot, '.data', 'chaos'),
    logLevel: 'warn',
    dbFaultProxy: true,
    // Each shopper checks out (and sends each accepted key once more) far more often than a person: the production
    // checkout rule (10 a minute per subject) would answer 429 for whole faults and leave attempts unresolved.
    // The limiter still runs; the chaos suite is about the faults, not about the shoppers' own rate.
    vars: { RATE_LIMIT_CHECKOUT: '600/60' },
    log: (l) => log(`[stack] ${l}`),
  });
  // Stopping the stack continues a hung primary before it stops it (dev/postgres.ts), so nothing is left stopped.
  const stop = () => void stack.stop().finally(() => process.exit(130));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, stop);
  const merchant = stack.accounts.find((a) => a.role === 'merchant')!;
  try {
    const reports = await runChaos({
      url: stack.url,
      primaryUrl: stack.pg.primaryUrl,
      stripeUrl: stack.stripeUrl,
      stripeKey: STRIPE_DEV_SECRET_KEY,
      merchant: { email: merchant.email, password: merchant.password },
      controls: {
        signalPostgres: (server, signal) => stack.pg.signal(server, signal),
        startPostgres: (server) => (server === 'primary' ? stack.pg.startPrimary() : stack.pg.startReplica(server)),
        ...(stack.redis ? { stopRedis: stack.redis.stop, startRedis: stack.redis.start } : {}),
        stripeFaults: async (delayMs, errorRate, lostRate = 0) => {
          const q = `delay_ms=${delayMs}&error_rate=${errorRate}&lost_rate=${lostRate}`;
          const res = await fetch(`${stack.stripeUrl}/_local/faults?${q}`, {
            method: 'POST',
            signal: AbortSignal.timeout(5000),
          });
          if (!res.ok) throw new Error(`stripe faults: ${res.status}`);
        },
        postgresLatency: async (ms) => stack.dbFaultProxy!.setDelay(ms),
        crashWorkers: () => stack.crashWorkers(),
        startWorkers: () => stack.startWorkers(),
      },
      faults,
      hasRedis: stack.redis !== undefined,
      hasDbFaultProxy: stack.dbFaultProxy !== undefined,
      shoppers: num('CHAOS_SHOPPERS', 12),
      units: num('CHAOS_UNITS', 40),
      faultMs: num('CHAOS_FAULT_SECONDS', 8) * 1000,
      warmupMs: 5000,
      recoverMs: 90_000,
      settleMs: 120_000,
      deadlineMs: num('CHAOS_DEADLINE_SECONDS', 1200) * 1000,
      addressPrefix: '2001:db8:c4a0',
      log,
    });
    log('\nchaos: summary');
    for (const r of reports) log(formatReport(r));
    const broken = reports.filter((r) => !r.ok);
    log(
      broken.length
        ? `chaos: ${broken.length} of ${reports.length} faults broke an invariant`
        : 'chaos: every invariant held',
    );
    return broken.length ? 1 : 0;
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, stop);
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
