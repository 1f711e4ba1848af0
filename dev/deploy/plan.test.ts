// The deploy plan from the real wrangler.toml files, and its rules on small made-up configs.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, workerConfigs } from '../stack';
import { readWorkerConfigs, toWorkerConfig, type WorkerConfig } from './config';
import {
  collectResources,
  deployOrder,
  kvAction,
  kvTitle,
  localOrigins,
  PlanError,
  secretReport,
  validate,
} from './plan';
import { secretRefusal } from './report';
import { loopbackOrigins, type SecretSpec, workerSecrets } from './secrets';

const real = readWorkerConfigs(projectRoot, workerConfigs);

/** A made-up worker binding the given workers by service binding. */
const worker = (name: string, bindsTo: string[] = [], extra: Record<string, unknown> = {}): WorkerConfig =>
  toWorkerConfig(`${name}.toml`, {
    name,
    services: bindsTo.map((s) => ({ binding: s.toUpperCase(), service: s })),
    ...extra,
  });

describe('resources of the real configs', () => {
  const resources = collectResources(real);

  it('finds the one KV namespace both the catalog and admin bind, titled after the binding', () => {
    expect(resources.kv).toHaveLength(1);
    const [kv] = resources.kv;
    expect(kv).toMatchObject({
      binding: 'CATALOG_META',
      title: 'storefront-catalog-meta',
      placeholder: 'storefront-catalog-meta',
    });
    expect(kv!.id).toBeUndefined();
    expect(kv!.users).toEqual([
      { worker: 'storefront-catalog', configPath: 'workers/catalog/wrangler.toml', id: 'storefront-catalog-meta' },
      { worker: 'storefront-admin', configPath: 'workers/admin/wrangler.toml', id: 'storefront-catalog-meta' },
    ]);
  });

  it('finds the orders and notifications queues and their dead-letter queues with who sends and consumes', () => {
    expect(resources.queues).toEqual([
      {
        name: 'notifications',
        producers: ['storefront-gateway', 'storefront-admin', 'storefront-checkout'],
        consumers: ['storefront-admin'],
        deadLetterFor: [],
      },
      {
        name: 'notifications-dlq',
        producers: [],
        consumers: ['storefront-admin'],
        deadLetterFor: ['notifications'],
      },
      { name: 'orders', producers: ['storefront-checkout'], consumers: ['storefront-checkout'], deadLetterFor: [] },
      {
        name: 'orders-dlq',
        producers: ['storefront-checkout'],
        consumers: ['storefront-checkout'],
        deadLetterFor: ['orders'],
      },
    ]);
  });

  it('lists the Analytics Engine datasets (requests, and calls of every worker), the images, exports and archive buckets', () => {
    expect(resources.datasets).toEqual(['storefront_requests', 'storefront_events']);
    expect(resources.buckets).toEqual([
      { name: 'storefront-images', users: ['storefront-gateway', 'storefront-admin'] },
      { name: 'storefront-do-exports', users: ['storefront-admin'] },
      { name: 'storefront-archive', users: ['storefront-admin'] },
    ]);
  });

  it('picks up a dead-letter queue no worker sends to or consumes', () => {
    const w = worker('w', [], { queues: { consumers: [{ queue: 'jobs', dead_letter_queue: 'jobs-dead' }] } });
    expect(collectResources([w]).queues.map((q) => q.name)).toEqual(['jobs', 'jobs-dead']);
  });
});

describe('deploy order', () => {
  it('deploys the real workers each after every worker it binds to', () => {
    const order = deployOrder(real);
    expect(order).toEqual([
      'storefront-catalog',
      'storefront-cart',
      'storefront-checkout',
      'storefront-admin',
      'storefront-web',
      'storefront-gateway',
    ]);
    for (const w of real) {
      for (const dep of w.bindsTo) expect(order.indexOf(dep.worker)).toBeLessThan(order.indexOf(w.name));
    }
    // Every worker that reaches Postgres pushes its breakers and slow queries to the catalog's MetricsDO.
    for (const name of ['storefront-gateway', 'storefront-checkout', 'storefront-admin'])
      expect(real.find((w) => w.name === name)!.bindsTo, name).toContainEqual({
        binding: 'BREAKERS',
        worker: 'storefront-catalog',
      });
  });

  it('names the cycle when the bindings form one', () => {
    const workers = [worker('a', ['b']), worker('b', ['c']), worker('c', ['a'])];
    expect(() => deployOrder(workers)).toThrow(PlanError);
    expect(() => deployOrder(workers)).toThrow('a → b → c → a');
  });

  it('counts a Durable Object of another script as a dependency, and ignores a worker binding itself', () => {
    const objects = { durable_objects: { bindings: [{ name: 'DO', class_name: 'X', script_name: 'host' }] } };
    expect(deployOrder([worker('user', ['user'], objects), worker('host')])).toEqual(['host', 'user']);
  });

  it('refuses a binding to a worker no config deploys', () => {
    expect(() => deployOrder([worker('a', ['ghost'])])).toThrow('a binds GHOST to ghost, which no config here deploys');
  });
});

describe('validate', () => {
  it('accepts the real configs with the declared secrets', () => {
    expect(validate(real, workerSecrets)).toEqual([]);
  });

  it('names every problem at once', () => {
    const kv = (id: string) => ({ kv_namespaces: [{ binding: 'META', id }] });
    const workers = [
      worker('a', ['b'], { ...kv('one'), vars: { TOKEN: 'x' }, d1_databases: [{ binding: 'DB' }] }),
      worker('b', ['a'], kv('two')),
      worker('c'),
      worker('c'),
    ];
    const secrets: Record<string, SecretSpec[]> = {
      a: [{ name: 'TOKEN', about: '', required: true }],
      c: [],
      gone: [],
    };
    expect(validate(workers, secrets)).toEqual([
      'two configs deploy a worker named c',
      'a.toml uses d1_databases, which npm run deploy does not create (extend dev/deploy/)',
      'TOKEN is a secret of a but also a var in a.toml',
      'b has no entry in dev/deploy/secrets.ts (add one, [] if it needs no secrets)',
      'dev/deploy/secrets.ts names gone, which no config deploys',
      'KV binding META has different ids (one, two): one binding, one namespace',
      'the bindings form a cycle, which cannot be deployed in order: a → b → a',
    ]);
  });
});

describe('local-stack vars', () => {
  it('refuses a config that would deploy a value only the local stack uses', () => {
    const workers = [
      worker('a', [], { vars: { READ_REGION_HEADER: 'true', WEBHOOK_ALLOW_LOOPBACK: 'false', OTHER: 'x' } }),
      worker('b', [], {
        vars: { FAULT_LOSE_ORDER_COPIES_OF: 'SKU-1', MAIL_SINK_URL: '', STRIPE_API_BASE: 'http://127.0.0.1:12111' },
      }),
    ];
    expect(validate(workers, { a: [], b: [] })).toEqual([
      'a.toml sets READ_REGION_HEADER = "true", a local-stack value: deployed it must be "false"',
      'b.toml sets FAULT_LOSE_ORDER_COPIES_OF = "SKU-1", a local-stack value: deployed it must be ""',
      'b.toml sets STRIPE_API_BASE = "http://127.0.0.1:12111", a local-stack value: deployed it must be ""',
    ]);
  });

  it('finds the real configs ship the deployed values', () => {
    const named = real
      .flatMap((w) => Object.keys(w.vars))
      .filter((n) => n === 'READ_REGION_HEADER' || n.startsWith('FAULT_'));
    expect(named.length).toBeGreaterThan(1); // the rule is not vacuous for the real configs
    expect(validate(real, workerSecrets)).toEqual([]);
  });
});

describe('public origins', () => {
  it('tells loopback and localhost origins from public ones', () => {
    expect(
      loopbackOrigins(
        'http://127.0.0.1:8787, http://localhost:3000,https://shop.example.com,http://127.1.2.3,' +
          'http://[::1]:8787,http://0.0.0.0,https://app.localhost,https://localhost.example.com,not a url',
      ),
    ).toEqual([
      'http://127.0.0.1:8787',
      'http://localhost:3000',
      'http://127.1.2.3',
      'http://[::1]:8787',
      'http://0.0.0.0',
      'https://app.localhost',
    ]);
    expect(loopbackOrigins('')).toEqual([]);
  });

  it('tells the other spellings of this machine: a trailing dot, IPv4-mapped IPv6, other IPv4 notations', () => {
    const local = [
      'http://localhost.:8787',
      'https://LocalHost.',
      'https://app.localhost.',
      'http://[::ffff:127.0.0.1]:8787',
      'http://[::ffff:7f00:1]',
      'http://[::FFFF:127.9.8.7]',
      'http://[::ffff:0.0.0.0]',
      'http://[0:0:0:0:0:0:0:1]',
      'http://2130706433',
      'http://0x7f.1',
      'http://0',
    ];
    const remote = [
      'https://shop.example.com.',
      'https://localhost.example.com.',
      'http://[::ffff:10.0.0.1]',
      'http://[::ffff:8.8.8.8]',
      'http://[2001:db8::1]',
      'http://128.0.0.1',
    ];
    expect(loopbackOrigins([...local, ...remote].join(','))).toEqual(local);
  });

  it("keeps a real deploy from shipping the local stack's SHOP_ORIGIN or CORS_ORIGINS, naming the var", () => {
    const workers = [
      worker('a', [], { vars: { SHOP_ORIGIN: 'http://127.0.0.1:8787', CORS_ORIGINS: 'https://shop.example.com' } }),
      worker('b', [], { vars: { CORS_ORIGINS: 'https://shop.example.com,http://localhost:3000' } }),
      worker('c', [], { vars: { SHOP_ORIGIN: 'https://shop.example.com', CORS_ORIGINS: '' } }),
    ];
    expect(localOrigins(workers)).toEqual([
      "a.toml sets SHOP_ORIGIN to the local stack's http://127.0.0.1:8787: set the shop's public origin there before a real deploy",
      "b.toml sets CORS_ORIGINS to the local stack's http://localhost:3000: set the shop's public origins there before a real deploy",
    ]);
    // The repo's gateway config carries the local stack's: the dry run and validate accept it, a deploy does not.
    expect(localOrigins(real).map((l) => l.split(' to ')[0])).toEqual([
      'wrangler.toml sets SHOP_ORIGIN',
      'wrangler.toml sets CORS_ORIGINS',
    ]);
    expect(validate(real, workerSecrets)).toEqual([]);
  });
});

describe('secrets', () => {
  const gateway = real.find((w) => w.name === 'storefront-gateway')!;

  it('declares only secrets the code reads', () => {
    const sources = ['workers', 'lib', 'durable-objects'].flatMap((dir) =>
      fs
        .readdirSync(path.join(projectRoot, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
        .map((f) => fs.readFileSync(path.join(projectRoot, dir, f), 'utf8')),
    );
    for (const spec of Object.values(workerSecrets).flat()) {
      expect(
        sources.some((s) => s.includes(spec.name)),
        spec.name,
      ).toBe(true);
    }
  });

  it('reports missing required and optional secrets per worker, and a worker not on the account', () => {
    const findings = secretReport(real, workerSecrets, {
      'storefront-gateway': ['DATABASE_URL'],
      'storefront-catalog': ['DATABASE_URL'],
      'storefront-admin': ['DATABASE_URL', 'DATABASE_REPLICA_URL', 'NEON_LOCAL_PROXY'],
      'storefront-cart': [],
      'storefront-web': [],
      'storefront-checkout': null,
    });
    const summary = findings.map((f) => ({
      worker: f.worker,
      notDeployed: f.notDeployed,
      required: f.missingRequired.map((s) => s.name),
      optional: f.missingOptional.map((s) => s.name),
      devOnly: f.devOnlyPresent,
    }));
    expect(summary).toEqual([
      {
        worker: 'storefront-gateway',
        notDeployed: false,
        required: ['JWT_SIGNING_KEY', 'CONSOLE_SESSION_SECRET'],
        optional: [
          'JWT_PUBLIC_KEYS',
          'UPSTASH_REDIS_REST_URL',
          'UPSTASH_REDIS_REST_TOKEN',
          'ALERT_WEBHOOK_URL',
          'ALERT_WEBHOOK_SECRET',
        ],
        devOnly: [],
      },
      {
        worker: 'storefront-catalog',
        notDeployed: false,
        required: [],
        // The shared cache tier's pair: the token is only required once the URL is set.
        optional: ['DATABASE_REPLICA_URL', 'DATABASE_REPLICAS', 'UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN'],
        devOnly: [],
      },
      {
        worker: 'storefront-admin',
        notDeployed: false,
        required: [],
        optional: ['DATABASE_REPLICAS'],
        devOnly: ['NEON_LOCAL_PROXY'],
      },
      { worker: 'storefront-cart', notDeployed: false, required: [], optional: [], devOnly: [] },
      {
        worker: 'storefront-checkout',
        notDeployed: true,
        required: ['DATABASE_URL', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'],
        optional: [],
        devOnly: [],
      },
      { worker: 'storefront-web', notDeployed: false, required: [], optional: [], devOnly: [] },
    ]);
  });

  it('requires the Upstash secrets when the gateway is set to use Upstash', () => {
    const upstash = { ...gateway, vars: { ...gateway.vars, RATE_LIMIT_BACKEND: 'upstash' } };
    const [finding] = secretReport([upstash], workerSecrets, {
      'storefront-gateway': ['JWT_SIGNING_KEY', 'DATABASE_URL', 'CONSOLE_SESSION_SECRET'],
    });
    expect(finding!.missingRequired.map((s) => s.name)).toEqual(['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN']);
  });

  it('requires the Upstash token once the URL is set (the "auto" backend then picks Upstash)', () => {
    const [finding] = secretReport([gateway], workerSecrets, {
      'storefront-gateway': ['JWT_SIGNING_KEY', 'DATABASE_URL', 'CONSOLE_SESSION_SECRET', 'UPSTASH_REDIS_REST_URL'],
    });
    expect(finding!.missingRequired.map((s) => s.name)).toEqual(['UPSTASH_REDIS_REST_TOKEN']);
    expect(finding!.missingOptional.map((s) => s.name)).toEqual([
      'JWT_PUBLIC_KEYS',
      'ALERT_WEBHOOK_URL',
      'ALERT_WEBHOOK_SECRET',
    ]);
  });

  it('requires the alert webhook secret once the webhook URL (itself a secret) is set', () => {
    const [finding] = secretReport([gateway], workerSecrets, {
      'storefront-gateway': ['JWT_SIGNING_KEY', 'DATABASE_URL', 'CONSOLE_SESSION_SECRET', 'ALERT_WEBHOOK_URL'],
    });
    expect(finding!.missingRequired.map((s) => s.name)).toEqual(['ALERT_WEBHOOK_SECRET']);
  });

  it('refuses on a missing optional secret only without --allow-missing-optional', () => {
    const findings = secretReport([gateway], workerSecrets, {
      'storefront-gateway': ['JWT_SIGNING_KEY', 'DATABASE_URL', 'CONSOLE_SESSION_SECRET'],
    });
    const refusal = secretRefusal(findings, false);
    expect(refusal.join('\n')).toContain('npx wrangler secret put UPSTASH_REDIS_REST_URL -c wrangler.toml');
    expect(secretRefusal(findings, true)).toEqual([]);
  });
});

describe('kvAction', () => {
  const need = { binding: 'CATALOG_META', title: kvTitle('CATALOG_META'), users: [] };
  const id = 'a'.repeat(32);

  it('keeps an id the account has, adopts a namespace by title, else creates', () => {
    expect(kvAction({ ...need, id }, [{ id, title: 'renamed' }])).toEqual({ kind: 'exists', id });
    const other = 'b'.repeat(32);
    expect(kvAction({ ...need, id }, [{ id: other, title: 'storefront-catalog-meta' }])).toEqual({
      kind: 'found by title',
      id: other,
    });
    expect(kvAction(need, [{ id: other, title: 'something-else' }])).toEqual({ kind: 'create' });
  });
});
