// The admin worker: merchant and ops operations over typed RPC (AdminService). Not public: the gateway
// authorizes the caller and calls it over a service binding.
import { WorkerEntrypoint } from 'cloudflare:workers';
import { ProductUpdate, SlugParam } from '../../../lib/catalog/schemas';
import type { DbEnv } from '../../../lib/db/client';
import type { Identity } from '../../../lib/auth/tokens';
import { AppError } from '../../../lib/errors';
import { rpc } from '../../../lib/rpc';
import { updateProduct } from './products';

function requireMerchant(identity: Identity | undefined) {
  if (identity?.role !== 'merchant' && identity?.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'Admin operations need the merchant role or above.');
  }
}

export class AdminService extends WorkerEntrypoint<AdminEnv & DbEnv> {
  /** `identity` is the caller as verified by the gateway; checked again here, the cheap second lock. */
  async updateProduct(identity: Identity, slugInput: unknown, patchInput: unknown) {
    return rpc(async () => {
      requireMerchant(identity);
      const slug = SlugParam.parse({ slug: slugInput }).slug;
      const patch = ProductUpdate.parse(patchInput);
      return updateProduct(this.env, slug, patch);
    });
  }

  async health() {
    return { status: 'ok' as const };
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') return Response.json({ status: 'ok' });
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<AdminEnv>;
