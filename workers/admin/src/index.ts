// The admin worker: merchant and ops operations over typed RPC (AdminService). Not public: the gateway
// authorizes the caller and calls it over a service binding.
import { WorkerEntrypoint } from 'cloudflare:workers';
import { ProductUpdate, SlugParam } from '../../../lib/catalog/schemas';
import type { DbEnv } from '../../../lib/db/client';
import { rpc } from '../../../lib/rpc';
import { updateProduct } from './products';

export class AdminService extends WorkerEntrypoint<AdminEnv & DbEnv> {
  async updateProduct(slugInput: unknown, patchInput: unknown) {
    return rpc(async () => {
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
