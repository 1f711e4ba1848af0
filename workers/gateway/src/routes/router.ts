// The one way the gateway declares routes, so that every route validates its query the same way: the query schemas
// are strict zod objects (an unknown parameter is a 400 VALIDATION_FAILED naming it), and a route that declares no
// query gets the empty strict one. Plain Hono routes (the docs page, Stripe's webhook) put `noQuery()` in front.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { validationError } from '../../../../lib/errors';
import { validationHook } from '../middleware/errors';
import type { GatewayApp } from '../types';

/** The query of a route that takes no parameters: any parameter is unknown, so refused. */
export const NoQuery = z.object({}).strict();

/** Whether a declared query schema refuses unknown keys (a zod object with `.strict()`). */
function isStrict(schema: unknown): boolean {
  const def = (schema as { _zod?: { def?: { type?: string; catchall?: { _zod?: { def?: { type?: string } } } } } })._zod
    ?.def;
  return def?.type === 'object' && def.catchall?._zod?.def?.type === 'never';
}

/**
 * An OpenAPIHono whose routes refuse unknown query parameters, with the gateway's validation answers. A route
 * declaring a query schema that is not strict fails when the app is built (so in every test), not in production.
 */
export function router(): OpenAPIHono<GatewayApp> {
  const r = new OpenAPIHono<GatewayApp>({ defaultHook: validationHook });
  const register = r.openapi;
  r.openapi = ((route, handler, hook) => {
    const query = route.request?.query;
    if (query && !isStrict(query))
      throw new Error(`${route.method.toUpperCase()} ${route.path}: its query schema must be a strict zod object`);
    return register({ ...route, request: { ...route.request, query: query ?? NoQuery } }, handler, hook);
  }) as typeof register;
  return r;
}

/** For a plain Hono route: the same refusal of any query parameter as a route declared through `router()`. */
export function noQuery(): MiddlewareHandler<GatewayApp> {
  return async function noQueryMiddleware(c, next) {
    const parsed = NoQuery.safeParse(c.req.query());
    if (!parsed.success) throw validationError('query', parsed.error.issues);
    await next();
  };
}
