// Merchant routes. Until identity arrives (issue 3) they require the ADMIN_TOKEN bearer; with no token
// configured they refuse everyone.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ErrorResponse, ProductUpdate, SlugParam } from '../../../../lib/catalog/schemas';
import { AppError } from '../../../../lib/errors';
import { unwrap } from '../../../../lib/rpc';
import { validationHook } from '../middleware/errors';
import { jsonBody } from '../middleware/json-body';
import type { GatewayApp } from '../types';

async function sameSecret(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  // Hash first so the comparison is constant-time whatever the lengths.
  const [ha, hb] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(a)), crypto.subtle.digest('SHA-256', enc.encode(b))]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

function requireAdminToken(): MiddlewareHandler<GatewayApp> {
  return async function adminTokenMiddleware(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (!given) throw new AppError('UNAUTHORIZED', 'A bearer token is required.');
    if (!expected || !(await sameSecret(given, expected))) throw new AppError('FORBIDDEN', 'This token may not use admin routes.');
    await next();
  };
}

export const adminRoutes = new OpenAPIHono<GatewayApp>({ defaultHook: validationHook });
adminRoutes.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
adminRoutes.use('*', requireAdminToken());

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
    const result = unwrap(await c.env.ADMIN.updateProduct(c.req.valid('param').slug, c.req.valid('json')));
    return c.json({ product: result.product, generation: result.generation }, 200);
  },
);
