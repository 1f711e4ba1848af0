// Merchant routes: a valid access token with the merchant role or above (401 without one, 403 below).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ErrorResponse, ProductUpdate, SlugParam } from '../../../../lib/catalog/schemas';
import { unwrap } from '../../../../lib/rpc';
import { requireRole } from '../auth/authenticate';
import { validationHook } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';

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
      200: { description: 'Updated', content: { 'application/json': { schema: ProductUpdated } } },
      400: { description: 'Invalid body', content: { 'application/json': { schema: ErrorResponse } } },
      401: { description: 'No token', content: { 'application/json': { schema: ErrorResponse } } },
      403: { description: 'Not allowed', content: { 'application/json': { schema: ErrorResponse } } },
      404: { description: 'No such product', content: { 'application/json': { schema: ErrorResponse } } },
    },
  }),
  async (c) => {
    const result = unwrap(await c.env.ADMIN.updateProduct(c.get('identity')!, c.req.valid('param').slug, c.req.valid('json')));
    return c.json({ product: result.product, generation: result.generation }, 200);
  },
);
