// The caller of a merchant or admin operation as the admin worker receives it (lib/contracts/admin.ts): the verified
// identity plus the request id and the client address, which the audit log records. The one place it is built.
import type { Context } from 'hono';
import type { Actor } from '../../../../lib/contracts/admin';
import { AppError } from '../../../../lib/errors';
import type { GatewayApp } from '../types';

/** An IP address as Cloudflare writes CF-Connecting-IP; anything else is not kept (no log or audit injection). */
const ipAddress = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

export function actorOf(c: Context<GatewayApp>): Actor {
  const identity = c.get('identity');
  // requireRole runs first on every admin route; this only guards a route that forgot it.
  if (!identity) throw new AppError('UNAUTHORIZED', 'Sign in first: this route needs a bearer token.');
  const address = c.req.header('cf-connecting-ip')?.trim();
  return {
    sub: identity.sub,
    role: identity.role,
    requestId: c.get('requestId'),
    address: address && ipAddress.test(address) ? address : null,
  };
}
