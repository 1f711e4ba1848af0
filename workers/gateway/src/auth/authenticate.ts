// Authentication at the edge: a bearer access token, when present, must be valid (else 401); the verified
// identity is what the gateway passes to the other workers. Roles are ranked for requireRole.
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../../../../db/schema/identity';
import { authKeys, verifyAccessToken } from '../../../../lib/auth/tokens';
import { AppError } from '../../../../lib/errors';
import { countRefusedBearer } from '../rate-limit/edge';
import type { GatewayApp } from '../types';

const rank: Record<Role, number> = { guest: 0, customer: 1, merchant: 2, admin: 3 };

export function authenticate(): MiddlewareHandler<GatewayApp> {
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      // The scheme is case-insensitive (RFC 6750 via RFC 9110 11.1): "bearer" and "BEARER" are "Bearer".
      const token = /^Bearer +([A-Za-z0-9_\-.]+)$/i.exec(header)?.[1];
      const identity = token ? await verifyAccessToken(await authKeys(c.env), token) : null;
      if (!identity) {
        await countRefusedBearer(c); // 429 instead once the address is over its edge count
        throw new AppError('UNAUTHORIZED', 'The access token is missing, malformed, expired or not ours.');
      }
      c.set('identity', identity);
    }
    await next();
  };
}

/** 401 without an identity, 403 below `min`. */
export function requireRole(min: Role): MiddlewareHandler<GatewayApp> {
  return async function requireRoleMiddleware(c, next) {
    const identity = c.get('identity');
    if (!identity) throw new AppError('UNAUTHORIZED', 'Sign in first: this route needs a bearer token.');
    if (rank[identity.role] < rank[min]) throw new AppError('FORBIDDEN', `This route needs the ${min} role or above.`);
    await next();
  };
}
