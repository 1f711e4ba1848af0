// `npm run dev`: starts the whole system on this machine and keeps it running until Ctrl-C.
import path from 'node:path';
import { defaultPorts, projectRoot, STRIPE_DEV_SECRET_KEY, STRIPE_DEV_WEBHOOK_SECRET, startStack } from './stack';

const dataRoot = process.env.STOREFRONT_DATA ?? path.join(projectRoot, '.data');
const ports = {
  gateway: Number(process.env.PORT ?? defaultPorts.gateway),
  pgPrimary: Number(process.env.PG_PORT ?? defaultPorts.pgPrimary),
  pgReplica: Number(process.env.PG_REPLICA_PORT ?? defaultPorts.pgReplica),
  neonProxy: Number(process.env.NEON_PROXY_PORT ?? defaultPorts.neonProxy),
  redis: Number(process.env.REDIS_PORT ?? defaultPorts.redis),
  upstashBridge: Number(process.env.UPSTASH_BRIDGE_PORT ?? defaultPorts.upstashBridge),
  stripe: Number(process.env.STRIPE_LOCAL_PORT ?? defaultPorts.stripe),
};
const started = Date.now();
const say = (line: string) => console.log(`[storefront] ${line}`);

say(`starting the local stack; data in ${dataRoot}`);
let stack: Awaited<ReturnType<typeof startStack>>;
try {
  stack = await startStack({ dataRoot, ports, log: say, wranglerOutput: 'inherit' });
} catch (err) {
  console.error(`[storefront] could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
const health = await fetch(`${stack.url}/health`).then((r) => r.json() as Promise<{ status: string }>);
console.log(`
  Storefront is up in ${((Date.now() - started) / 1000).toFixed(1)}s (health: ${health.status})
  Gateway     ${stack.url}        try ${stack.url}/v1/products?q=linen
  API docs    ${stack.url}/docs   (OpenAPI: ${stack.url}/v1/openapi.json)
  Accounts    ${stack.accounts.map((a) => `${a.role}: ${a.email} / ${a.password}`).join('\n              ')}
              (dev only) sign in with POST ${stack.url}/v1/auth/login
  Rate limits ${stack.upstashUrl ? `Upstash REST bridge ${stack.upstashUrl} -> redis-server` : 'built-in Durable Object backend'}
  Postgres    primary ${stack.pg.primaryUrl}
              replica ${stack.pg.replicaUrl}
  Neon proxy  127.0.0.1:${stack.ports.neonProxy} (WebSocket /v1, HTTP /sql)
  Stripe      ${stack.stripeUrl} (local; key ${STRIPE_DEV_SECRET_KEY}; webhooks signed with ${STRIPE_DEV_WEBHOOK_SECRET}
              to ${stack.url}/v1/webhooks/stripe; test cards pm_card_visa, pm_card_chargeDeclined,
              pm_card_authenticationRequired)
  Data        ${dataRoot} (Postgres and wrangler state; survives restarts)
  Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await stack.stop();
    say('stopped');
    process.exit(0);
  });
}
