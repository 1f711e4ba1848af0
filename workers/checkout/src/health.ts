// Health of the checkout worker's dependencies, each probed at once with a deadline (lib/health.ts):
//  - its three Durable Object classes, by a read of one object each (the class answers, its storage works);
//    DeadLetterDO's read is the number of dead letters waiting (the check's value);
//  - the Postgres primary (the orders consumer's target): not required, since orders are accepted and kept in the
//    objects while it is away, but the copy to Postgres waits;
//  - Stripe: one cheap authenticated read through the SDK (no retry, not through the breaker, whose state is
//    reported beside): not required either, since catalog and carts work without it, but checkouts answer 503.
// The `orders` Queue's backlog is not readable from a Worker binding (only through Cloudflare's API); what the
// system knows of it is reported here: the order copies the OrdersDOs sent and the consumer has not confirmed yet
// (`ordersBacklog`, not required: orders are safe in their objects meanwhile), and the dead letters waiting.

import { DEAD_LETTERS_OBJECT } from '../../../durable-objects/dead-letters/dead-letters.do';
import { inventoryConfig } from '../../../durable-objects/inventory/config';
import { ordersConfig } from '../../../durable-objects/orders/config';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { HEALTH_PROBE, HEALTH_TIMEOUT_MS, workerHealth } from '../../../lib/health';
import { type StripeEnv, stripeClient } from '../../../lib/payments/stripe';
import { checkoutConfig } from './config';
import { outboxFigures } from './outbox';

type Env = CheckoutEnv & DbEnv & StripeEnv;

export function checkoutHealth(env: Env): Promise<WorkerHealth> {
  return workerHealth({
    checkoutSettings: {
      required: true,
      run: async () => {
        checkoutConfig(env);
        ordersConfig(env);
        inventoryConfig(env);
      },
    },
    ordersObjects: { required: true, run: () => env.ORDERS.get(env.ORDERS.idFromName(HEALTH_PROBE)).listOrders(1) },
    inventoryObjects: {
      required: true,
      run: () => env.INVENTORY.get(env.INVENTORY.idFromName(HEALTH_PROBE)).levels(HEALTH_PROBE),
    },
    deadLetters: {
      required: true,
      run: async () =>
        (
          await env.DEAD_LETTERS.get(env.DEAD_LETTERS.idFromName(DEAD_LETTERS_OBJECT)).list({
            includeReplayed: false,
            limit: 1,
          })
        ).waiting,
    },
    ordersBacklog: { required: false, run: async () => (await outboxFigures(env)).copies },
    postgresPrimary: {
      required: false,
      run: async () => {
        const settings = dbSettings(env);
        await sqlClient(settings.DATABASE_URL, settings)`select 1`;
      },
    },
    stripe: {
      required: false,
      run: () =>
        stripeClient(env).paymentIntents.list({ limit: 1 }, { timeout: HEALTH_TIMEOUT_MS, maxNetworkRetries: 0 }),
    },
  });
}
