// lib/db/neon-local.ts — points @neondatabase/serverless at the local dev proxy (dev/neon-proxy.ts)
// instead of Neon's cloud endpoints. Runs inside workerd: no Node imports here (type-only import).
import type { neonConfig as NeonConfig } from '@neondatabase/serverless';

/**
 * Route both transports of the driver to `proxy` ("127.0.0.1:54330"):
 *  - HTTP (neon(), sql.transaction): POST http://<proxy>/sql
 *  - WebSocket (Pool/Client):        ws://<proxy>/v1?address=<pg host>:<pg port>
 * Settings are global (static neonConfig), so call this once at startup, dev only.
 * The Postgres host/port still come from the connection string and must be loopback.
 */
export function useLocalNeonProxy(neonConfig: typeof NeonConfig, proxy: string): void {
  // A string endpoint replaces the default (host, port) => "https://api.<host>/sql" function.
  neonConfig.fetchEndpoint = `http://${proxy}/sql`;
  // A string wsProxy makes the driver connect to `${wsProxy}?address=${host}:${port}`.
  neonConfig.wsProxy = `${proxy}/v1`;
  // Plain ws:// (no TLS on the local proxy)...
  neonConfig.useSecureWebSocket = false;
  // ...and no Postgres-level TLS inside the tunnel either (local Postgres has no certificate).
  neonConfig.forceDisablePgSSL = true;
  neonConfig.pipelineTLS = false;
  // The default 'password' pipelining sends the password before Postgres asks for it; that only
  // works with cleartext auth (Neon's). Local Postgres uses trust/SCRAM, so do the normal handshake.
  neonConfig.pipelineConnect = false;
  // Keep Pool.query() on the WebSocket; /sql is still used by neon() regardless of this.
  neonConfig.poolQueryViaFetch = false;
}
