// Ops figures and SLOs (admin role only: 401 without a token, 403 below admin): request figures per route and per
// minute, business figures from Postgres, the funnel, and each customer journey's objectives with error budget and
// burn rates. Definitions: docs/operations.md#figures. Mounted at /v1/admin/ops.
import { createRoute, z } from '@hono/zod-openapi';
import { CACHE_TIERS } from '../../../../lib/metrics/figures';
import { requireRole } from '../auth/authenticate';
import { opsFigures, sloReport, windowOf } from '../ops/figures.service';
import { bearer, failure, json } from './openapi';
import { router } from './router';

export const opsFiguresRoutes = router();
opsFiguresRoutes.use('*', requireRole('admin'));

const ms = z.number().nullable().openapi({ description: 'Milliseconds (2% bucket precision); null with no requests.' });
const latency = { p50: ms, p95: ms, p99: ms };
const RouteFigures = z
  .object({
    route: z.string().openapi({ description: '`METHOD pattern`, the router’s pattern (not the raw path); `*`: all.' }),
    requests: z.number().int(),
    perMinute: z.number(),
    status4xx: z.number().int(),
    status5xx: z.number().int(),
    rate4xx: z.number(),
    rate5xx: z.number(),
    ...latency,
  })
  .openapi('RouteFigures');

const OpsFigures = z
  .object({
    window: z.object({ from: z.string(), to: z.string(), minutes: z.number().int() }),
    source: z.enum(['durable-object', 'analytics-engine']),
    requests: z.object({
      total: RouteFigures,
      cache: z.object({
        hits: z.number().int(),
        lookups: z.number().int(),
        hitRatio: z.number().nullable(),
        tiers: z
          .array(
            z.object({
              tier: z.enum(CACHE_TIERS),
              hits: z.number().int(),
              reached: z.number().int(),
              hitRatio: z.number().nullable(),
            }),
          )
          .openapi({
            description:
              'Catalog answers per cache tier, outermost first: each is counted at the tier that answered it ' +
              '(`browser`: a 304 to If-None-Match; `memo`: the gateway isolate; `memory`: the catalog isolate; ' +
              '`cache-api`: the location; `shared`: Upstash Redis, one for every location; `origin`: Postgres), `reached` are the misses of the tiers before it.',
          }),
      }),
      rateLimited: z.object({ count: z.number().int(), share: z.number() }),
      routes: z.array(RouteFigures),
      minutes: z.array(
        z.object({
          minute: z.string(),
          requests: z.number().int(),
          status4xx: z.number().int(),
          status5xx: z.number().int(),
          ...latency,
        }),
      ),
      refusals: z.array(
        z.object({ route: z.string(), status: z.number().int(), code: z.string(), count: z.number().int() }),
      ),
      cartsStarted: z.number().int(),
    }),
    business: z.object({
      source: z.enum(['replica', 'primary']),
      orders: z.object({
        accepted: z.number().int(),
        paid: z.number().int(),
        perMinute: z.array(z.object({ minute: z.string(), accepted: z.number().int() })),
      }),
      revenue: z.object({
        byCurrency: z.array(z.object({ currency: z.string(), amount: z.number().int(), orders: z.number().int() })),
        perHour: z.array(
          z.object({ hour: z.string(), currency: z.string(), amount: z.number().int(), orders: z.number().int() }),
        ),
      }),
      hottestSkus: z.array(
        z.object({
          sku: z.string(),
          units: z.number().int(),
          orders: z.number().int(),
          currency: z.string(),
          amount: z.number().int(),
        }),
      ),
      paidWithin: z.object({
        boundSeconds: z.number().int(),
        eligible: z.number().int(),
        closed: z.number().int(),
        paid: z.number().int(),
        paidInTime: z.number().int(),
      }),
      replica: z.object({
        configured: z.boolean(),
        lagBytes: z.number().nullable(),
        lagSeconds: z.number().nullable(),
      }),
      deadLetters: z.object({ waiting: z.number().int(), oldestFirstSeenAt: z.string().nullable() }),
      outbox: z
        .object({
          objects: z.number().int(),
          pending: z.number().int(),
          failing: z.number().int(),
          copies: z.number().int(),
          oldestReportAt: z.string().nullable(),
          oldestDueAt: z.string().nullable(),
          oldestCopyAt: z
            .string()
            .nullable()
            .openapi({
              description:
                'When the oldest order copy not yet confirmed by the `orders` consumer was first asked for: the ' +
                "Queue's backlog age as the objects see it (production: also the Queues analytics, see docs).",
            }),
          levels: z
            .object({
              pending: z.number().int(),
              failing: z.number().int(),
              oldestPendingAt: z.string().nullable(),
            })
            .openapi({
              description:
                'InventoryDO copies of their levels (to the `orders` Queue) and ledger events (to Postgres): SKUs ' +
                'whose changes wait after a failed copy, until copied again; of them, those whose last attempt ' +
                'failed; the oldest change waiting. A SKU whose copies go out on schedule is not counted.',
            }),
        })
        .openapi({
          description:
            'OrdersDO task outboxes as each last reported (on every change): tasks pending and failing, order ' +
            'copies sent to the `orders` Queue not yet confirmed by its consumer (the Queue backlog) and the oldest of ' +
            'them, and the earliest due time of a ' +
            'task (in the past: overdue, its object has not run it).',
        }),
    }),
    slowQueries: z
      .object({
        total: z.number().int(),
        perMinute: z.array(z.object({ minute: z.string(), worker: z.string(), count: z.number().int() })),
      })
      .nullable()
      .openapi({
        description:
          'Postgres queries answered after SLOW_QUERY_MS or more, per minute and worker, of the last hour ' +
          '(kept an hour; older minutes of the window are absent); null when they could not be read.',
      }),
    workers: z
      .array(
        z.object({
          worker: z.string(),
          kind: z.string().openapi({ description: '`rpc`, `object`, `queue` or `alarm`.' }),
          className: z.string(),
          method: z.string(),
          calls: z.number(),
          items: z.number().openapi({ description: 'Queue messages for a batch, else one per call.' }),
          refused: z.number(),
          errors: z.number(),
          ...latency,
        }),
      )
      .nullable()
      .openapi({
        description:
          'Every worker’s calls (RPC methods, Durable Object methods, queue batches, alarms) in the window, from ' +
          'the Analytics Engine dataset `storefront_events` (weighted by its sampling); null with ' +
          '`source: durable-object` (no Analytics Engine data locally) or when the SQL API could not be read.',
      }),
    funnel: z.object({
      cartsStarted: z.number().int(),
      ordersAccepted: z.number().int(),
      ordersPaid: z.number().int(),
      conversionRate: z.number().nullable(),
      abandonmentRate: z.number().nullable(),
    }),
  })
  .openapi('OpsFigures');

const isoTime = z.iso.datetime({ offset: true });

opsFiguresRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/figures',
    tags: ['Ops'],
    summary: 'Request, business and funnel figures over a window of whole minutes (admin role)',
    description:
      'The window is `from`..`to` (ISO 8601; `to` defaults to now) or the last `minutes` (default 60), widened ' +
      'to whole minutes, at most 7 days. Amounts are integer minor units.',
    security: bearer,
    request: {
      query: z
        .object({
          from: isoTime.optional(),
          to: isoTime.optional(),
          minutes: z.coerce.number().int().min(1).max(10_080).optional(),
          top: z.coerce.number().int().min(1).max(100).default(10).openapi({ description: 'Hottest SKUs kept.' }),
        })
        .strict(),
    },
    responses: {
      200: { description: 'The figures', ...json(OpsFigures) },
      400: failure('Invalid window'),
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const figures = await opsFigures(c.env, c.get('identity')!, windowOf(q, Date.now()), q.top);
    return c.json(figures as never, 200, { 'cache-control': 'no-store' });
  },
);

const Objective = z.object({
  objective: z.number(),
  total: z.number().int(),
  good: z.number().int(),
  sli: z.number().nullable(),
  budgetRemaining: z.number().openapi({ description: '1 untouched, 0 spent, below 0 overspent.' }),
  burn: z.array(
    z.object({
      window: z.string(),
      total: z.number().int(),
      bad: z.number().int(),
      badShare: z.number(),
      burnRate: z.number(),
    }),
  ),
  met: z.boolean(),
});

const SloReport = z
  .object({
    at: z.string(),
    windowHours: z.number().int(),
    journeys: z.array(
      z.object({
        name: z.string(),
        routes: z.array(z.string()),
        availability: Objective,
        latency: Objective.extend({ thresholdMs: z.number().int() }),
      }),
    ),
  })
  .openapi('SloReport');

opsFiguresRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/slo',
    tags: ['Ops'],
    summary: 'Availability and latency objectives per customer journey: error budget and burn rates (admin role)',
    security: bearer,
    responses: {
      200: { description: 'Every journey’s objectives', ...json(SloReport) },
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) =>
    c.json((await sloReport(c.env, c.get('identity')!, Date.now())) as never, 200, { 'cache-control': 'no-store' }),
);
