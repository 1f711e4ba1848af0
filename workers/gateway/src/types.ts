// Hono typing for the gateway: its bindings (generated Env plus secrets) and the per-request variables.
import type { Identity } from '../../../lib/auth/tokens';
import type { IdentityEnv } from './auth/identity.service';

export interface GatewayVars {
  /** The gateway's own id of this request. */
  requestId: string;
  /** A client's own `x-request-id`, sanitized: logged beside ours and echoed as `x-correlation-id`. */
  correlationId?: string;
  /** The verified caller, when a valid bearer token was sent. */
  identity?: Identity;
  /** Set by routes that know it (x-cache), logged and counted in analytics. */
  cacheStatus?: string;
  /** The cache tier that answered (lib/contracts/catalog.ts CacheTier), counted in the figures per tier. */
  cacheTier?: string;
  /** The public error code of a refused request, counted in the figures (refusals by reason). */
  errorCode?: string;
  /** The client address was counted on the edge tier for this request already (edge.ts): once is enough. */
  addressCounted?: boolean;
  /** An answer given by the thousand under load (shed): counted in the figures, not logged one by one. */
  quiet?: boolean;
  /** The client's verified read-after token (middleware/read-after.ts): the pages' in-process API calls pass it on. */
  readAfterToken?: string;
  /** A read-after token the page's in-process API calls were given (web/api.ts): set as the page's cookie. */
  readAfterIssued?: string;
  /** A business event the answer stands for (`cart.started`), counted in the figures. */
  figureEvent?: string;
}

/** Bindings and vars as `wrangler types` sees them, plus the secrets that lib code reads; config.ts parses them. */
export type GatewayBindings = GatewayEnv & IdentityEnv;

export interface GatewayApp {
  Bindings: GatewayBindings;
  Variables: GatewayVars;
}
