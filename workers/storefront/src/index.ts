// The storefront worker: static files for shoppers' browsers (today the API reference's script), from Workers
// static assets. The gateway forwards their paths to `StorefrontService.fetch` over a service binding; the
// default export serves the same files when a route sends browsers here directly.
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { workerHealth } from '../../../lib/health';
import { recordCalls } from '../../../lib/metrics/events';
import { acceptTraces } from '../../../lib/trace';

/** A file every build has: the health check reads it, so a deploy without its assets shows as down. */
const PROBE_ASSET = 'https://assets.invalid/docs/scalar.js';

export class StorefrontService extends WorkerEntrypoint<StorefrontEnv> {
  /** A static file by path (GET and HEAD; the assets binding answers 404 for anything else, 405 for writes). */
  override async fetch(request: Request): Promise<Response> {
    return this.env.ASSETS.fetch(request);
  }

  /** Its assets answer. Not required: the API works without them, so their loss is "degraded", not "down". */
  async health(): Promise<WorkerHealth> {
    return workerHealth({
      assets: {
        required: false,
        run: async () => {
          const res = await this.env.ASSETS.fetch(new Request(PROBE_ASSET, { method: 'HEAD' }));
          if (!res.ok) throw new Error(`assets answered ${res.status}`);
        },
      },
    });
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
recordCalls(StorefrontService, 'storefront');
acceptTraces(StorefrontService);

export default {
  fetch: (request: Request, env: StorefrontEnv) => env.ASSETS.fetch(request),
} satisfies ExportedHandler<StorefrontEnv>;
