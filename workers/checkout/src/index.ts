// The checkout worker. A later issue fills it; for now it answers health checks, over RPC and over fetch.
import { WorkerEntrypoint } from 'cloudflare:workers';

export default class CheckoutWorker extends WorkerEntrypoint<CheckoutEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') return Response.json(await this.health());
    return new Response('not found', { status: 404 });
  }

  async health() {
    return { status: 'ok' as const };
  }
}
