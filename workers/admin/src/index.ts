// The admin worker: merchant and ops operations over typed RPC (AdminService). Not public: the gateway
// authorizes the caller and calls it over a service binding. Every answer is an RpcResult: a refusal is an
// AppError carried as `{ok:false}` (403 at the gateway), never a thrown Error (which would be a 500).

import { WorkerEntrypoint } from 'cloudflare:workers';
import type { z } from 'zod';
import type { Identity } from '../../../lib/auth/tokens';
import { GENERATION_KEY } from '../../../lib/catalog/generation';
import { ProductUpdate, SlugParam } from '../../../lib/catalog/schemas';
import { AdminOrderQuery, CustomerId, CustomerQuery } from '../../../lib/checkout/admin-schemas';
import type { Actor } from '../../../lib/contracts/admin-orders';
import type { BusinessFigures } from '../../../lib/contracts/figures';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { AppError, validationError } from '../../../lib/errors';
import { workerHealth } from '../../../lib/health';
import { withTimeout } from '../../../lib/resilience';
import { type RpcResult, rpc, unwrap } from '../../../lib/rpc';
import { acceptTraces, traced } from '../../../lib/trace';
import { adminConfig } from './config';
import { BusinessQuerySchema, businessFigures } from './ops.figures';
import { customerWithOrders, listCustomers, listOrders } from './orders';
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

const actorOf = (identity: Identity): Actor => ({ sub: identity.sub, role: identity.role });

function parseInput<S extends z.ZodType>(schema: S, where: string, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(where, parsed.error.issues);
  return parsed.data;
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

  // ---- orders and customers (orders.ts reads the replica; writes go to the order's OrdersDO via CheckoutOps) ----

  /** GET /v1/admin/orders: search the Postgres copy (replica), newest first, keyset pages. */
  async listOrders(identity: Identity, query: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return listOrders(this.env, parseInput(AdminOrderQuery, 'query', query));
    });
  }

  /** GET /v1/admin/orders/:id: the order from its OrdersDO (the truth), with refunds and fulfilment. */
  async order(identity: Identity, id: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return { order: unwrap(await traced(this.env.CHECKOUT_OPS).order(id)).order };
    });
  }

  async cancelOrder(identity: Identity, id: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return { order: unwrap(await traced(this.env.CHECKOUT_OPS).cancelOrder(id, body, actorOf(identity))).order };
    });
  }

  async fulfilOrder(identity: Identity, id: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return { order: unwrap(await traced(this.env.CHECKOUT_OPS).fulfilOrder(id, body, actorOf(identity))).order };
    });
  }

  /** A refund under the merchant's Idempotency-Key; `created` is false for a replay of the key. */
  async refundOrder(identity: Identity, id: unknown, key: unknown, body: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      const { refund, order, created } = unwrap(
        await traced(this.env.CHECKOUT_OPS).refundOrder(id, key, body, actorOf(identity)),
      );
      return { refund, order, created };
    });
  }

  async listCustomers(identity: Identity, query: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return listCustomers(this.env, parseInput(CustomerQuery, 'query', query));
    });
  }

  async customer(identity: Identity, id: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      return customerWithOrders(this.env, parseInput(CustomerId, 'path', { id }).id);
    });
  }

  /** Ops (admin role): outbox tasks whose last run failed (e.g. a refund Stripe keeps refusing). */
  async stuckTasks(identity: Identity, query: unknown) {
    return rpc(async () => {
      requireAdmin(identity);
      return { tasks: unwrap(await traced(this.env.CHECKOUT_OPS).stuckTasks(query)).tasks };
    });
  }

  async retryTask(identity: Identity, id: unknown) {
    return rpc(async () => {
      requireAdmin(identity);
      return { task: unwrap(await traced(this.env.CHECKOUT_OPS).retryTask(id)).task };
    });
  }

  async giveUpTask(identity: Identity, id: unknown) {
    return rpc(async () => {
      requireAdmin(identity);
      return { task: unwrap(await traced(this.env.CHECKOUT_OPS).giveUpTask(id, actorOf(identity))).task };
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
