// `npm run dev`: starts the whole system on this machine and keeps it running until Ctrl-C (or SIGTERM to the PID
// it prints). Every port it opens moves with a variable (portVars) and the data with STOREFRONT_DATA, so two
// stacks can run side by side; wrangler's other listeners (workerd internals) take ports from the OS.
import path from 'node:path';
import { ALERT_DEV_WEBHOOK_SECRET } from './alert-sink';
import { type BackupSettings, backupSettings } from './backup/agent';
import {
  defaultPorts,
  projectRoot,
  STRIPE_DEV_SECRET_KEY,
  STRIPE_DEV_WEBHOOK_SECRET,
  type StackPorts,
  startStack,
} from './stack';

const dataRoot = process.env.STOREFRONT_DATA ?? path.join(projectRoot, '.data');
/** The variable that moves each port this opens, so that two stacks can run side by side. */
const portVars: Record<keyof StackPorts, string> = {
  gateway: 'PORT',
  inspector: 'INSPECTOR_PORT',
  pgPrimary: 'PG_PORT',
  pgReplica: 'PG_REPLICA_PORT',
  pgReplica2: 'PG_REPLICA2_PORT',
  neonProxy: 'NEON_PROXY_PORT',
  redis: 'REDIS_PORT',
  upstashBridge: 'UPSTASH_BRIDGE_PORT',
  stripe: 'STRIPE_LOCAL_PORT',
  alertSink: 'ALERT_SINK_PORT',
  mailSink: 'MAIL_SINK_PORT',
};
const ports = Object.fromEntries(
  Object.entries(portVars).map(([name, variable]) => {
    const value = process.env[variable]?.trim() || String(defaultPorts[name as keyof StackPorts]);
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
      console.error(`[storefront] ${variable}=${value} is not a port (1-65535)`);
      process.exit(1);
    }
    return [name, Number(value)];
  }),
) as unknown as StackPorts;
const started = Date.now();
const say = (line: string) => console.log(`[storefront] ${line}`);

say(`starting the local stack; data in ${dataRoot}`);
let stack: Awaited<ReturnType<typeof startStack>>;
let backups: BackupSettings;
try {
  backups = backupSettings(dataRoot);
} catch (err) {
  console.error(`[storefront] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
try {
  stack = await startStack({ dataRoot, ports, log: say, wranglerOutput: 'inherit', backups });
} catch (err) {
  console.error(`[storefront] could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
const health = await fetch(`${stack.url}/health`, { signal: AbortSignal.timeout(10_000) }).then(
  (r) => r.json() as Promise<{ status: string }>,
);
console.log(`
  Storefront is up in ${((Date.now() - started) / 1000).toFixed(1)}s (health: ${health.status})
  Gateway     ${stack.url}        try ${stack.url}/v1/products?q=linen
  API docs    ${stack.url}/docs   (OpenAPI: ${stack.url}/v1/openapi.json)
  Console     ${stack.url}/admin  (sign in with an account below; the admin's ops page: /admin/ops)
  Accounts    ${stack.accounts.map((a) => `${a.role}: ${a.email} / ${a.password}`).join('\n              ')}
              (dev only) sign in with POST ${stack.url}/v1/auth/login
  Rate limits ${stack.upstashUrl ? `Upstash REST bridge ${stack.upstashUrl} -> redis-server` : 'built-in Durable Object backend'}
  Postgres    primary ${stack.pg.primaryUrl}
              replicas ${stack.pg.replicaUrls[0]} (region us)
                       ${stack.pg.replicaUrls[1]} (region eu; x-read-region: eu picks it)
  Neon proxy  127.0.0.1:${stack.ports.neonProxy} (WebSocket /v1, HTTP /sql)
  Stripe      ${stack.stripeUrl} (local; key ${STRIPE_DEV_SECRET_KEY}; webhooks signed with ${STRIPE_DEV_WEBHOOK_SECRET}
              to ${stack.url}/v1/webhooks/stripe; test cards pm_card_visa, pm_card_chargeDeclined,
              pm_card_authenticationRequired)
  Alerts      rules every minute (this process fires the Cron Trigger: ${stack.url}/__scheduled?cron=*+*+*+*+*);
              state at ${stack.url}/v1/admin/ops/alerts (admin); webhook calls received by the local sink:
              ${stack.alertSinkUrl}/_local/received (signed with ${ALERT_DEV_WEBHOOK_SECRET})
  Emails      sent through the simulated send_email binding (wrangler only logs them); read every one at
              ${stack.mailSinkUrl}/_local/mail (?to=<address>, ?orderId=<id>)
  Webhooks    merchants' endpoints may be http://127.0.0.1 here (production: https only); deliveries at
              ${stack.url}/v1/admin/webhooks/{id}/deliveries (merchant)
  Inspector   127.0.0.1:${stack.ports.inspector} (wrangler/workerd DevTools)
  Data        ${dataRoot} (Postgres and wrangler state; survives restarts)
  Backups     ${backups.store.where}: WAL archived continuously (within ${backups.archiveTimeoutS}s), base backup now (unless
              one is younger) and every ${backups.intervalHours || '∞'}h, ${backups.keep} kept, AES-256-GCM${backups.key.dev ? ' with the DEV key' : ''}
              (npm run backup; npm run restore -- --to <time> | --drill; docs/runbook.md)
  Ctrl-C (or kill ${process.pid}) stops everything.
`);

// The first base backup once the stack is up (so it does not slow the start), then on the schedule.
stack.backups?.schedule(0);

// wrangler dev runs no Cron Trigger on its own: fire the alert rules' one every minute, as Cloudflare would.
const alertTicker = setInterval(() => {
  fetch(`${stack.url}/__scheduled?cron=*+*+*+*+*`, { signal: AbortSignal.timeout(30_000) })
    .then((r) => r.arrayBuffer())
    .catch((err) => say(`alert evaluation could not be fired: ${String(err)}`));
}, 60_000);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(alertTicker);
    say('stopping…');
    await stack.stop();
    say('stopped');
    process.exit(0);
  });
}
