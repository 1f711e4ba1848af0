// The whole local system, started in order and stopped in reverse: PostgreSQL primary + streaming replica,
// migrations and seed, the local Neon proxy, local Stripe, the local alert sink, redis-server + the Upstash bridge
// (when installed), and every worker under one `wrangler dev` (workerd, dev/stack/wrangler.ts).
// Used by `npm run dev` (dev/start.ts), by the tests (test/global-setup.ts) and by the benchmark.
import fs from 'node:fs';
import path from 'node:path';
import { runMigrations } from '../db/migrate';
import { progressLine, seed } from '../db/seed';
import { devAccounts, seedDevAccounts } from '../db/seed-accounts';
import { WEBHOOK_EVENTS } from '../lib/payments/events';
import { ALERT_DEV_WEBHOOK_SECRET, startAlertSink } from './alert-sink';
import { type BackupAgent, type BackupSettings, startBackupAgent } from './backup/agent';
import { type FaultProxy, startFaultProxy } from './fault-proxy';
import { devSigningKey } from './keys';
import { startMailSink } from './mail-sink';
import { type NeonProxy, startNeonProxy } from './neon-proxy';
import { assertPortFree, withFreePorts } from './ports';
import { type PgCluster, startPostgres } from './postgres';
import { redisAvailable, startRedis } from './redis';
import { sql } from './sql';
import { projectRoot, startWrangler, type WranglerOptions, workerConfigs } from './stack/wrangler';
import { startStripeLocal } from './stripe-local';
import { startUpstashBridge } from './upstash-bridge';

export { projectRoot, workerConfigs };

/**
 * The local stack's read replicas stand for two regions: the first replica is `us` (the primary's region), the second
 * `eu`. Requests arriving in Europe or Africa (request.cf) read in `eu`, the rest in `us` (REPLICA_REGIONS).
 */
export const LOCAL_REGIONS = ['us', 'eu'] as const;
export const LOCAL_REGION_MAP = 'continent:EU=eu,continent:AF=eu,*=us';

export interface StackPorts {
  gateway: number;
  inspector: number;
  pgPrimary: number;
  pgReplica: number;
  pgReplica2: number;
  neonProxy: number;
  redis: number;
  upstashBridge: number;
  stripe: number;
  alertSink: number;
  mailSink: number;
}
export const defaultPorts: StackPorts = {
  gateway: 8787,
  inspector: 9230,
  pgPrimary: 54320,
  pgReplica: 54321,
  pgReplica2: 54322,
  neonProxy: 54330,
  redis: 54340,
  upstashBridge: 54341,
  stripe: 12111,
  alertSink: 12112,
  mailSink: 12113,
};

/** The local Stripe server's keys: test-mode shapes, never valid at Stripe. */
export const STRIPE_DEV_SECRET_KEY = 'sk_test_local_storefront';
export const STRIPE_DEV_WEBHOOK_SECRET = 'whsec_local_storefront_dev_secret';

export interface StackOptions {
  dataRoot: string;
  ports?: Partial<StackPorts>;
  /** Values for vars the workers declare in their wrangler.toml (e.g. shorter cache times in tests). */
  vars?: Record<string, string>;
  /** Extra vars and secrets for the gateway only (e.g. JWT_PUBLIC_KEYS, RATE_LIMIT_BACKEND). */
  gatewayVars?: Record<string, string>;
  /** Upstash path for rate limits: 'auto' starts redis-server + the bridge when redis-server is installed. */
  upstash?: 'auto' | 'required' | 'off';
  log?: (line: string) => void;
  /** wrangler's --log-level (the benchmark uses 'warn' so per-request log lines do not dominate). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
  /** Where wrangler's own output goes (default: a file in dataRoot). */
  wranglerOutput?: 'inherit' | 'file';
  /** max_retries of the `orders` Queue consumer (tests use fewer to reach the dead-letter queue quickly). */
  ordersMaxRetries?: number;
  /** max_retries of the `notifications` Queue consumer (tests reach its dead-letter queue quickly). */
  notificationsMaxRetries?: number;
  /**
   * Backups of the primary (`npm run dev`; the tests leave them off): WAL archiving into the store, shipped every
   * second; base backups once the caller calls `backups.schedule()` (dev/backup/agent.ts).
   */
  backups?: BackupSettings;
  /** Webhook delivery retries of the local Stripe server (base delay, attempts). */
  stripeWebhookRetry?: { baseDelayMs: number; maxAttempts: number; timeoutMs: number };
  /** Products in the seed (default: SEED_PRODUCTS from the environment, else 1,200: db/seed.ts). */
  seedProducts?: number;
  /**
   * The workers reach the primary through a fault-injecting TCP proxy (dev/fault-proxy.ts) whose delay the caller
   * sets (`npm run chaos`); migrations, the seed and the tools' own connections still go straight to it.
   */
  dbFaultProxy?: boolean;
}

export interface Stack {
  url: string;
  ports: StackPorts;
  pg: PgCluster;
  /** Present with `backups`: the WAL shipper and the base backup schedule. */
  backups?: BackupAgent;
  /** Present with `dbFaultProxy`: the proxy between the workers and the primary. */
  dbFaultProxy?: FaultProxy;
  /** Present when rate limits run on Upstash (the local bridge to redis-server). */
  redis?: { url: string; stop(): Promise<void>; start(): Promise<void> };
  upstashUrl?: string;
  stripeUrl: string;
  /** The local alert webhook receiver (dev/alert-sink.ts): GET `${alertSinkUrl}/_local/received`. */
  alertSinkUrl: string;
  /** The local mail sink (dev/mail-sink.ts): every email sent, at GET `${mailSinkUrl}/_local/mail`. */
  mailSinkUrl: string;
  accounts: typeof devAccounts;
  dataRoot: string;
  wranglerLog: string;
  /** Chaos: kills wrangler and workerd at once (SIGKILL; the requests in flight are lost). */
  crashWorkers(): Promise<void>;
  /** Starts wrangler and workerd again on the same ports and state; resolves once the gateway answers. */
  startWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export const UPSTASH_DEV_TOKEN = 'dev-upstash-token';
export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const ports = { ...defaultPorts, ...opts.ports };
  const dataRoot = path.resolve(opts.dataRoot);
  fs.mkdirSync(dataRoot, { recursive: true });
  fs.chmodSync(dataRoot, 0o755); // the postgres OS user must be able to reach its data below this

  await assertPortFree(ports.gateway, 'gateway');
  await assertPortFree(ports.inspector, 'wrangler inspector');
  await assertPortFree(ports.neonProxy, 'Neon proxy');

  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err) => log(`stop: ${String(err)}`));
  };
  try {
    log(
      `PostgreSQL 18: primary on 127.0.0.1:${ports.pgPrimary}, streaming replicas on 127.0.0.1:${ports.pgReplica} ` +
        `(region us) and 127.0.0.1:${ports.pgReplica2} (region eu)`,
    );
    const pg = await startPostgres({
      dataDir: path.join(dataRoot, 'postgres'),
      primaryPort: ports.pgPrimary,
      replicaPort: ports.pgReplica,
      moreReplicas: [{ name: LOCAL_REGIONS[1], port: ports.pgReplica2 }],
      ...(opts.backups ? { archive: { spoolDir: opts.backups.spoolDir, timeoutS: opts.backups.archiveTimeoutS } } : {}),
    });
    cleanups.push(() => pg.stop());
    let backups: BackupAgent | undefined;
    if (opts.backups) {
      const q = 'select system_identifier::text as id from pg_control_system()';
      const systemId = (await sql<{ id: string }>(pg.primaryUrl, q))[0]!.id;
      backups = startBackupAgent({ settings: opts.backups, primaryUrl: pg.primaryUrl, systemId, log });
      cleanups.push(() => backups!.stop());
      log(`WAL archived continuously to ${opts.backups.store.where} (encrypted; base backups: npm run backup)`);
    }

    log('migrations and seed (idempotent)');
    await runMigrations(pg.primaryUrl);
    // SEED_PRODUCTS sizes the catalog (db/seed.ts; default 1,200): a large one prints its progress.
    const counts = await seed(pg.primaryUrl, {
      ...(opts.seedProducts ? { products: opts.seedProducts } : {}),
      progress: (d, t, ms) => log(progressLine(d, t, ms)),
    });
    log(`catalog: ${counts.products} products, ${counts.variants} variants, ${counts.categories} categories`);
    await seedDevAccounts(pg.primaryUrl);

    log(`Neon proxy (WebSocket + HTTP /sql) on 127.0.0.1:${ports.neonProxy}`);
    const proxy: NeonProxy = await startNeonProxy({ port: ports.neonProxy });
    cleanups.push(() => proxy.close());

    await assertPortFree(ports.stripe, 'local Stripe');
    log(`local Stripe (PaymentIntents, refunds, signed webhooks) on 127.0.0.1:${ports.stripe}`);
    const stripe = await startStripeLocal({
      port: ports.stripe,
      webhookUrl: `http://127.0.0.1:${ports.gateway}/v1/webhooks/stripe`,
      // As the production endpoint is set up: only the events the checkout worker acts on (each delivery costs a
      // gateway request; a payment made three events, of which one is used).
      enabledEvents: WEBHOOK_EVENTS,
      webhookSecret: STRIPE_DEV_WEBHOOK_SECRET,
      apiKey: STRIPE_DEV_SECRET_KEY,
      ...(opts.stripeWebhookRetry ? { webhookRetry: opts.stripeWebhookRetry } : {}),
    });
    cleanups.push(() => stripe.stop());

    await assertPortFree(ports.alertSink, 'alert sink');
    log(`local alert sink (the alert webhook's receiver) on 127.0.0.1:${ports.alertSink}`);
    const alertSink = await startAlertSink({ port: ports.alertSink, secret: ALERT_DEV_WEBHOOK_SECRET });
    cleanups.push(() => alertSink.stop());

    await assertPortFree(ports.mailSink, 'mail sink');
    log(`local mail sink (every email sent) on 127.0.0.1:${ports.mailSink}`);
    const mailSink = await startMailSink({ port: ports.mailSink });
    cleanups.push(() => mailSink.stop());

    let dbFaultProxy: FaultProxy | undefined;
    let workersPrimaryUrl = pg.primaryUrl;
    if (opts.dbFaultProxy) {
      const target = new URL(pg.primaryUrl);
      dbFaultProxy = await startFaultProxy({ port: 0, targetPort: Number(target.port) });
      cleanups.push(() => dbFaultProxy!.close());
      target.port = String(dbFaultProxy.port);
      workersPrimaryUrl = target.toString();
      log(
        `fault proxy (added latency on demand) between the workers and the primary on 127.0.0.1:${dbFaultProxy.port}`,
      );
    }
    const dbSecrets: Record<string, string> = {
      DATABASE_URL: workersPrimaryUrl,
      DATABASE_REPLICAS: LOCAL_REGIONS.map((region, i) => `${region}=${pg.replicaUrls[i]}`).join(','),
      NEON_LOCAL_PROXY: `127.0.0.1:${ports.neonProxy}`,
      STRIPE_SECRET_KEY: STRIPE_DEV_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: STRIPE_DEV_WEBHOOK_SECRET,
    };
    const gatewayVars: Record<string, string> = {
      JWT_SIGNING_KEY: JSON.stringify(await devSigningKey(dataRoot)),
      ALERT_WEBHOOK_URL: alertSink.hookUrl,
      ALERT_WEBHOOK_SECRET: ALERT_DEV_WEBHOOK_SECRET,
      // The /admin console's CSRF key (workers/gateway/src/console/config.ts); production sets its own secret.
      CONSOLE_SESSION_SECRET: 'console_local_storefront_dev_secret_0123456789',
      // Emailed account links open the storefront on this stack's own port.
      SHOP_ORIGIN: `http://127.0.0.1:${ports.gateway}`,
    };

    const upstash = opts.upstash ?? 'auto';
    let redis: Stack['redis'];
    let upstashUrl: string | undefined;
    if (upstash === 'required' || (upstash === 'auto' && redisAvailable())) {
      await assertPortFree(ports.upstashBridge, 'Upstash bridge');
      const redisDir = path.join(dataRoot, 'redis');
      fs.mkdirSync(redisDir, { recursive: true });
      log(
        `redis-server on 127.0.0.1:${ports.redis}, Upstash REST bridge on 127.0.0.1:${ports.upstashBridge} ` +
          '(rate limits, the catalog cache’s shared tier)',
      );
      let server = await startRedis({ port: ports.redis, dataDir: redisDir });
      const bridge = await startUpstashBridge({
        port: ports.upstashBridge,
        redisPort: ports.redis,
        token: UPSTASH_DEV_TOKEN,
      });
      cleanups.push(() => bridge.close());
      cleanups.push(() => server.stop());
      redis = {
        url: server.url,
        stop: () => server.stop(),
        start: async () => {
          server = await startRedis({ port: ports.redis, dataDir: redisDir });
        },
      };
      upstashUrl = bridge.url;
      gatewayVars.UPSTASH_REDIS_REST_URL = bridge.url;
      gatewayVars.UPSTASH_REDIS_REST_TOKEN = UPSTASH_DEV_TOKEN;
      // The catalog's shared cache tier (workers/catalog/src/shared.ts) on the same bridge.
      dbSecrets.UPSTASH_REDIS_REST_URL = bridge.url;
      dbSecrets.UPSTASH_REDIS_REST_TOKEN = UPSTASH_DEV_TOKEN;
    } else {
      log(
        'rate limits on the built-in Durable Object backend, no shared catalog cache tier ' +
          '(install redis-server to run the Upstash path)',
      );
    }
    Object.assign(gatewayVars, opts.gatewayVars);
    log(`workers under wrangler dev (workerd): gateway, catalog, admin, cart, checkout`);
    const wranglerOptions: WranglerOptions = {
      dataRoot,
      ports,
      secrets: dbSecrets,
      // Emails are also posted to the mail sink; merchants' webhook endpoints may be local (http://127.0.0.1).
      vars: {
        STRIPE_API_BASE: stripe.url,
        MAIL_SINK_URL: mailSink.postUrl,
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        // Where requests read (the gateway maps request.cf to a region); `x-read-region` may name one here.
        REPLICA_REGIONS: LOCAL_REGION_MAP,
        READ_REGION_HEADER: 'true',
        ...opts.vars,
      },
      gatewayVars,
      ordersMaxRetries: opts.ordersMaxRetries,
      notificationsMaxRetries: opts.notificationsMaxRetries,
      logLevel: opts.logLevel,
      output: opts.wranglerOutput,
    };
    let wrangler = await startWrangler(wranglerOptions);
    cleanups.push(() => wrangler.stop());
    const url = wrangler.url;
    const wranglerLog = wrangler.log;
    return {
      url,
      ports,
      pg,
      backups,
      dbFaultProxy,
      redis,
      upstashUrl,
      stripeUrl: stripe.url,
      alertSinkUrl: alertSink.url,
      mailSinkUrl: mailSink.url,
      accounts: devAccounts,
      dataRoot,
      wranglerLog,
      async crashWorkers() {
        log('workers: crashing wrangler and workerd (SIGKILL)');
        await wrangler.crash();
      },
      async startWorkers() {
        log('workers: starting wrangler and workerd again');
        await wrangler.crash(); // nothing when it is gone already; never two on one port
        wrangler = await startWrangler(wranglerOptions);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts the stack on ports nobody listens on (the test stack, or a second stack beside `npm run dev`); when a
 * port is lost to another process while starting, it starts again on others (the data folder is reused).
 */
export function startStackOnFreePorts(opts: Omit<StackOptions, 'ports'>): Promise<Stack> {
  const names = Object.keys(defaultPorts) as (keyof StackPorts)[];
  return withFreePorts(
    names.length,
    (picked) => startStack({ ...opts, ports: Object.fromEntries(names.map((name, i) => [name, picked[i]])) }),
    { log: opts.log },
  );
}
