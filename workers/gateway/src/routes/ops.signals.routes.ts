// Ops routes of the admin role about the system's own signals: the circuit breakers of every worker, with their
// state, since when and their latest transitions, as every isolate pushed them. (Figures and SLOs have their own file.)
import { createRoute, z } from '@hono/zod-openapi';
import { BREAKER_STALE_MS } from '../../../../lib/metrics/breaker-reports';
import { requireRole } from '../auth/authenticate';
import { breakerViews, openBreakers } from '../ops/breakers.service';
import { bearer, failure, json } from './openapi';
import { router } from './router';

const State = z.enum(['closed', 'open', 'half-open']);
const Breaker = z
  .object({
    worker: z.string().openapi({ description: 'The worker whose isolates run it: gateway, catalog, checkout' }),
    name: z.string().openapi({ description: 'What it guards: stripe, postgres, rate limiter (upstash), …' }),
    state: State.openapi({
      description: 'The worst state among the isolates that reported within `staleAfterSeconds` (open > half-open)',
    }),
    since: z.string().openapi({ description: 'When it entered this state (the earliest isolate in it)' }),
    isolates: z
      .object({ closed: z.number().int(), open: z.number().int(), halfOpen: z.number().int(), stale: z.number().int() })
      .openapi({ description: 'Isolates per state; stale: not closed but not reported for `staleAfterSeconds`' }),
    retryAt: z.string().optional().openapi({ description: 'Open: when its next trial call is let through' }),
    reportedAt: z.string().openapi({ description: 'The latest report of any isolate' }),
    transitions: z
      .array(z.object({ from: State, to: State, at: z.string(), reason: z.string(), isolate: z.string() }))
      .openapi({ description: 'The latest transitions of any isolate, oldest first (at most 20)' }),
  })
  .openapi('Breaker');
const Breakers = z
  .object({
    staleAfterSeconds: z.number().int().openapi({
      description: 'A breaker not closed whose isolate has not reported for this long counts as stale, not open',
    }),
    breakers: z.array(Breaker),
    open: z.array(z.object({ worker: z.string(), name: z.string(), state: State, since: z.string() })).openapi({
      description: 'Every breaker not closed (open or half-open), with since when: what an alert rule reads',
    }),
  })
  .openapi('Breakers');

export const opsSignalsRoutes = router();
opsSignalsRoutes.use('*', requireRole('admin'));

opsSignalsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/breakers',
    tags: ['Ops'],
    summary: 'Circuit breakers of every worker: state, since when, latest transitions (admin role)',
    description:
      'As every isolate of every worker pushed them (on first use, each transition, and a heartbeat while not ' +
      'closed); one read, no health check (see operations.md).',
    security: bearer,
    responses: {
      200: { description: 'Every worker and its breakers', ...json(Breakers) },
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const breakers = await breakerViews(c.env);
    return c.json({ staleAfterSeconds: BREAKER_STALE_MS / 1000, breakers, open: openBreakers(breakers) }, 200, {
      'cache-control': 'no-store',
    });
  },
);
