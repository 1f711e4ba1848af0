// The admin worker: merchant and ops operations over typed RPC (AdminService). Not public: the gateway
// authorizes the caller and calls it over a service binding. Every answer is an RpcResult: a refusal is an
// AppError carried as `{ok:false}` (403 at the gateway), never a thrown Error (which would be a 500).

import { WorkerEntrypoint } from 'cloudflare:workers';
import type { Identity } from '../../../lib/auth/tokens';
import { GENERATION_KEY } from '../../../lib/catalog/generation';
import { ProductUpdate, SlugParam } from '../../../lib/catalog/schemas';
import type { BusinessFigures } from '../../../lib/contracts/figures';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { workerHealth } from '../../../lib/health';
import { withTimeout } from '../../../lib/resilience';
import { type RpcResult, rpc, unwrap } from '../../../lib/rpc';
import { acceptTraces, traced } from '../../../lib/trace';
import { adminConfig } from './config';
import { BusinessQuerySchema, businessFigures } from './ops.figures';
import { updateProduct } from './products';

// The gateway checks roles first; these are the cheap second lock.
function requireMerchant(identity: Identity | undefined) {
  if (identity?.role !== 'merchant' && identity?.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'Admin operations need the merchant role or above.');
  }
}

function requireAdmin(identity: Identity | undefined) {
  if (identity?.role !== 'admin') throw new AppError('FORBIDDEN', 'Ops operations are for the admin role.');
}

export class AdminService extends WorkerEntrypoint<AdminEnv & DbEnv> {
  /** `identity` is the caller as verified by the gateway. */
  async updateProduct(identity: Identity, slugInput: unknown, patchInput: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      const slug = SlugParam.parse({ slug: slugInput }).slug;
      const patch = ProductUpdate.parse(patchInput);
      return updateProduct(this.env, slug, patch);
    });
  }

  /** PUT /v1/admin/inventory/:sku: on hand (never below held + sold) and optionally the per-customer cap. */
  async setStock(identity: Identity, sku: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return unwrap(await traced(this.env.CHECKOUT_OPS).setStock(sku, body));
    });
  }

  /** POST /v1/admin/inventory/:sku/adjustments: on hand changed by a delta. */
  async adjustStock(identity: Identity, sku: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return unwrap(await traced(this.env.CHECKOUT_OPS).adjustStock(sku, body));
    });
  }

  /** Ops (admin role): the `orders` messages that ran out of retries. */
  async deadLetters(identity: Identity, includeReplayed: boolean, limit: number) {
    return rpc(async () => {
      requireAdmin(identity);
      const { letters, waiting } = unwrap(
        await traced(this.env.CHECKOUT_OPS).deadLetters({ includeReplayed, limit: Math.min(Math.max(limit, 1), 500) }),
      );
      return { letters, waiting };
    });
  }

  /** Ops (admin role): sends dead letters back to `orders` (all waiting ones, or the named ones). */
  async replayDeadLetters(identity: Identity, ids?: string[]) {
    return rpc(async () => {
      requireAdmin(identity);
      return { replayed: unwrap(await traced(this.env.CHECKOUT_OPS).replayDeadLetters(ids)).replayed };
    });
  }

  /** Ops (admin role): orders, revenue, hottest SKUs, order-paid counts from Postgres; replica lag; dead letters. */
  async opsFigures(identity: Identity, query: unknown): Promise<RpcResult<BusinessFigures>> {
    return rpc(async () => {
      requireAdmin(identity);
      const q = BusinessQuerySchema.parse(query);
      // Bounded like every outbound call: the gateway's own deadline for the whole answer is FIGURES_QUERY_TIMEOUT_MS.
      const [figures, letters, outbox] = await Promise.all([
        businessFigures(this.env, q),
        withTimeout(
          traced(this.env.CHECKOUT_OPS).deadLetters({ includeReplayed: false, limit: 500 }),
          10_000,
          'dead letters',
        ),
        withTimeout(traced(this.env.CHECKOUT_OPS).outbox(), 10_000, 'outbox figures'),
      ]);
      const { letters: waitingLetters, waiting } = unwrap(letters);
      const oldest = waitingLetters.map((l) => l.firstSeenAt).sort()[0] ?? null;
      return { ...figures, deadLetters: { waiting, oldestFirstSeenAt: oldest }, outbox: unwrap(outbox) };
    });
  }

  /** Its dependencies' checks (settings, the primary it writes, KV where it publishes) and its breakers. */
  async health(): Promise<WorkerHealth> {
    return adminHealth(this.env);
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
acceptTraces(AdminService);

function adminHealth(env: AdminEnv & DbEnv): Promise<WorkerHealth> {
  return workerHealth({
    adminSettings: { required: true, run: async () => adminConfig(env) },
    postgresPrimary: {
      required: true,
      run: async () => {
        const settings = dbSettings(env);
        await sqlClient(settings.DATABASE_URL, settings)`select 1`;
      },
    },
    kv: { required: true, run: () => env.CATALOG_META.get(GENERATION_KEY) },
  });
}

export default {
  async fetch(request: Request, env: AdminEnv & DbEnv): Promise<Response> {
    if (new URL(request.url).pathname === '/health') {
      const report = await adminHealth(env);
      const ok = Object.values(report.checks).every((c) => c.status === 'ok' || !c.required);
      return Response.json(report, { status: ok ? 200 : 503 });
    }
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<AdminEnv & DbEnv>;
