// Live stock of one SKU, straight from its InventoryDO (never cached: it changes with every checkout).
import { createRoute } from '@hono/zod-openapi';
import { InventorySku, InventoryView } from '../../../../lib/checkout/schemas';
import { unwrap } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import * as example from './examples';
import { failure, json } from './openapi';
import { router } from './router';

export const inventoryRoutes = router();

inventoryRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{sku}',
    tags: ['Inventory'],
    summary: 'Live availability of a SKU: available + held + sold = onHand',
    request: { params: InventorySku },
    responses: {
      200: { description: 'Current figures', ...json(InventoryView, example.inventory) },
      400: failure('Invalid SKU'),
      404: failure('No variant is sold under this SKU (the read creates nothing)'),
      503: failure('Unavailable'),
    },
  }),
  async (c) =>
    c.json(unwrap(await traced(c.env.CHECKOUT).inventory(c.req.valid('param').sku)).inventory, 200, {
      'cache-control': 'no-store',
    }),
);
