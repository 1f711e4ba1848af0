// Merchant routes: a valid access token with the merchant role or above (401 without one, 403 below).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ProductUpdate, SlugParam } from '../../../../lib/catalog/schemas';
import { unwrap } from '../../../../lib/rpc';
import { requireRole } from '../auth/authenticate';
import { validationHook } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';
import { failure, json } from './openapi';

export const adminRoutes = new OpenAPIHono<GatewayApp>({ defaultHook: validationHook });
adminRoutes.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
adminRoutes.use('*', requireRole('merchant'));

const ProductUpdated = z
  .object({
    product: z.object({
      id: z.string(),
      slug: z.string(),
      title: z.string(),
      price: z.object({ amount: z.number().int(), currency: z.string() }),
      updatedAt: z.string(),
    }),
    generation: z.string().openapi({ description: 'Catalog generation (LSN) that invalidates cached reads.' }),
  })
  .openapi('ProductUpdated');

adminRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/products/{slug}',
    tags: ['admin'],
    summary: "Change a product's title and/or price",
    security: [{ bearer: [] }],
    middleware: [jsonBody()] as const,
    request: {
      params: SlugParam,
      body: { required: true, content: { 'application/json': { schema: ProductUpdate } } },
    },
    responses: {
      200: { description: 'Updated', ...json(ProductUpdated) },
      400: failure('Invalid body'),
      401: failure('No token'),
      403: failure('Not allowed'),
      404: failure('No such product'),
    },
  }),
  async (c) => {
    const result = unwrap(await c.env.ADMIN.updateProduct(c.get('identity')!, c.req.valid('param').slug, c.req.valid('json')));
    return c.json({ product: result.product, generation: result.generation }, 200);
  },
);
