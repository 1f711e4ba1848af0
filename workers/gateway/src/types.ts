// Hono typing for the gateway: its bindings (generated Env plus secrets) and the per-request variables.
import type { Identity } from '../../../lib/auth/tokens';
import type { IdentityEnv } from './auth/identity.service';

export interface GatewayVars {
  requestId: string;
  /** The verified caller, when a valid bearer token was sent. */
  identity?: Identity;
  /** Set by routes that know it (x-cache), logged and counted in analytics. */
  cacheStatus?: string;
}

/** Secrets (wrangler secret put), typed here because `wrangler types` sees only vars and bindings. */
export interface GatewaySecrets {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
}

export type GatewayBindings = GatewayEnv & IdentityEnv & GatewaySecrets;

export interface GatewayApp {
  Bindings: GatewayBindings;
  Variables: GatewayVars;
}
