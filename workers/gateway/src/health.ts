// Readiness of the whole system, as the gateway sees it: its own checks (settings, the rate-limit store) and every
// worker's health() RPC (their dependencies and their isolates' breakers), all at once, each bounded in time.
import { authKeys } from '../../../lib/auth/tokens';
import type { Check, WorkerHealth } from '../../../lib/contracts/ops';
import { dbSettings } from '../../../lib/db/client';
import { HEALTH_TIMEOUT_MS, probe, workerHealth } from '../../../lib/health';
import { gatewayConfig } from './config';
import type { Rule } from './rate-limit/rules';
import { storeFor } from './rate-limit/store';
import type { GatewayBindings } from './types';

/** How long the gateway waits for a worker's whole health answer: its checks' deadline, plus the call itself. */
export const WORKER_HEALTH_TIMEOUT_MS = HEALTH_TIMEOUT_MS + 500;

export const WORKERS = ['gateway', 'catalog', 'admin', 'cart', 'checkout', 'storefront'] as const;
export type WorkerName = (typeof WORKERS)[number];
/** Workers whose loss leaves the API working: their checks make /health "degraded", never "down". */
const OPTIONAL_WORKERS: ReadonlySet<WorkerName> = new Set(['storefront']);

/** A bucket no caller uses, big enough never to refuse: a probe of the store, not of a limit. */
const probeRule: Rule = { name: 'anonymous', limit: 1_000_000, windowSeconds: 60, burst: 1_000_000, failClosed: false };

function gatewayHealth(env: GatewayBindings): Promise<WorkerHealth> {
  return workerHealth({
    gatewaySettings: {
      required: true,
      run: async () => {
        gatewayConfig(env);
        dbSettings(env);
        await authKeys(env);
      },
    },
    // Not required: while the store is away the edge tier limits browsing and carts, and only the fail-closed
    // routes (login, guest creation, checkout) answer 503.
    rateLimitStore: {
      required: false,
      run: async () => {
        const store = storeFor(env, gatewayConfig(env));
        if (store) await store.backend.limit(probeRule, 'health-probe');
      },
    },
  });
}

/** Each worker's health answer (null where the call failed or timed out), and each call's own check. */
export async function collectHealth(env: GatewayBindings) {
  const answers: Partial<Record<WorkerName, WorkerHealth>> = {};
  const ask = (name: WorkerName, call: () => Promise<WorkerHealth>) =>
    probe(
      name,
      {
        // The API answers without the storefront's static files (today only the /docs page's script).
        required: !OPTIONAL_WORKERS.has(name),
        run: async () => {
          answers[name] = await call();
        },
      },
      WORKER_HEALTH_TIMEOUT_MS,
    );
  const calls = await Promise.all([
    ask('gateway', () => gatewayHealth(env)),
    ask('catalog', () => env.CATALOG.health()),
    ask('admin', () => env.ADMIN.health()),
    ask('cart', () => env.CART.health()),
    ask('checkout', () => env.CHECKOUT.health()),
    ask('storefront', () => env.STOREFRONT.health()),
  ]);
  return { calls: Object.fromEntries(WORKERS.map((w, i) => [w, calls[i]!])) as Record<WorkerName, Check>, answers };
}

/**
 * The readiness report: one check per worker (its health call) and per dependency. A dependency several workers
 * check (the Postgres primary) shows its worst outcome, required if any worker needs it. "down" (503) when a
 * required check fails, "degraded" (200) when only others do, naming them in `failing`.
 */
export async function healthReport(env: GatewayBindings): Promise<HealthReport> {
  // /health is public: each report calls Stripe, Postgres, KV and every Durable Object class, so a flood of it must
  // not become a flood of them (Stripe's rate limit would open the payments breaker). One report is computed at a
  // time per isolate (and env, like the parsed settings), and a finished one answers for HEALTH_CACHE_MS.
  const maxAge = gatewayConfig(env).HEALTH_CACHE_MS;
  const last = reports.get(env);
  if (last && (last.pending || Date.now() - last.at < maxAge)) return last.report;
  const entry = { at: Date.now(), pending: true, report: computeReport(env) };
  reports.set(env, entry);
  try {
    await entry.report;
  } catch {
    if (reports.get(env) === entry) reports.delete(env); // a failed computation is not remembered
  } finally {
    entry.pending = false;
    entry.at = Date.now();
  }
  return entry.report;
}

type HealthReport = Awaited<ReturnType<typeof computeReport>>;
const reports = new WeakMap<object, { at: number; pending: boolean; report: Promise<HealthReport> }>();

async function computeReport(env: GatewayBindings) {
  const started = Date.now();
  return { ...mergeChecks(await collectHealth(env)), latencyMs: Date.now() - started };
}

/** The workers' calls and answers as one set of checks (each dependency's worst outcome) and the overall status. */
export function mergeChecks({ calls, answers }: Awaited<ReturnType<typeof collectHealth>>) {
  const checks: Record<string, Check> = { ...calls };
  for (const answer of Object.values(answers)) {
    for (const [name, check] of Object.entries(answer.checks)) {
      const seen = checks[name];
      if (!seen) checks[name] = { ...check };
      else {
        if (check.status === 'down') seen.status = 'down';
        seen.latencyMs = Math.max(seen.latencyMs, check.latencyMs);
        seen.required ||= check.required;
        if (check.value !== undefined) seen.value = check.value;
      }
    }
  }
  const failing = Object.keys(checks).filter((name) => checks[name]!.status === 'down');
  const status = failing.some((name) => checks[name]!.required) ? 'down' : failing.length ? 'degraded' : 'ok';
  return { status: status as 'ok' | 'degraded' | 'down', failing, checks };
}
