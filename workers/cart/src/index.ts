// The cart worker. A later issue fills it; for now it answers health checks, over RPC and over fetch.
import { WorkerEntrypoint } from 'cloudflare:workers';

export default class CartWorker extends WorkerEntrypoint<CartEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') return Response.json(await this.health());
    return new Response('not found', { status: 404 });
  }

  /**
   * Moves a guest's cart into a customer's, called by the gateway when a guest logs in. Carts arrive with
   * issue 4 (CartDO); until then there is no guest cart to move, so nothing is merged.
   */
  async mergeGuestCart(subjects: { guest: string; customer: string }) {
    return { merged: 0, guest: subjects.guest, customer: subjects.customer };
  }

  async health() {
    return { status: 'ok' as const };
  }
}
