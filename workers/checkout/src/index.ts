// The checkout worker. Being written; for now it answers health checks, over RPC and over fetch.
import { WorkerEntrypoint } from 'cloudflare:workers';

export { InventoryDO } from '../../../durable-objects/inventory.do';
export { OrdersDO } from '../../../durable-objects/orders.do';
export { DeadLetterDO } from '../../../durable-objects/dead-letters.do';

export default class CheckoutWorker extends WorkerEntrypoint<CheckoutEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') return Response.json(await this.health());
    return new Response('not found', { status: 404 });
  }

  async health() {
    return { status: 'ok' as const };
  }
}
