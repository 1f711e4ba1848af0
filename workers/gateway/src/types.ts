// Hono typing for the gateway: its bindings and the per-request variables set by middleware.
export interface GatewayVars {
  requestId: string;
  /** Set by routes that know it (x-cache), logged and counted in analytics. */
  cacheStatus?: string;
}

export type GatewayBindings = GatewayEnv & {
  /** Bearer token for /v1/admin/* until JWT roles arrive (issue 3). Unset: admin routes refuse everyone. */
  ADMIN_TOKEN?: string;
};

export interface GatewayApp {
  Bindings: GatewayBindings;
  Variables: GatewayVars;
}
