// Ops routes of the admin role about the system's own signals: the circuit breakers of every worker, with their
// state, since when and their latest transitions. (Figures and SLOs have their own file.)
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate';
import { breakerStates, WORKERS } from '../health';
import { bearer, failure, json } from './openapi';
import { router } from './router';

const State = z.enum(['closed', 'open', 'half-open']);
const Breaker = z
  .object({
    name: z.string().openapi({ description: 'What it guards: stripe, postgres, rate limiter (upstash), …' }),
    state: State,
    since: z.string().openapi({ description: 'When it entered this state (when first reported, if it never moved)' }),
    failures: z.number().int().openapi({ description: 'Consecutive failures counted' }),
    retryAt: z.string().optional().openapi({ description: 'Open: when the next trial call is let through' }),
    transitions: z
      .array(z.object({ from: State, to: State, at: z.string(), reason: z.string() }))
      .openapi({ description: 'The latest transitions of this isolate, oldest first (at most 20)' }),
  })
  .openapi('Breaker');
const Breakers = z
  .object({
    workers: z.array(
      z.object({
        worker: z.enum(WORKERS),
        reached: z.boolean().openapi({ description: 'false: the worker did not answer in time; breakers unknown' }),
        isolate: z.string().optional(),
        isolateStartedAt: z.string().optional(),
        breakers: z.array(Breaker),
      }),
    ),
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
      'Each worker answers for the isolate that served the call; breakers are per isolate (see operations.md).',
    security: bearer,
    responses: {
      200: { description: 'Every worker and its breakers', ...json(Breakers) },
      401: failure('No token'),
      403: failure('Not the admin role'),
    },
  }),
  async (c) => {
    const workers = await breakerStates(c.env);
    const open = workers.flatMap((w) =>
      w.breakers
        .filter((b) => b.state !== 'closed')
        .map((b) => ({ worker: w.worker, name: b.name, state: b.state, since: b.since })),
    );
    return c.json({ workers, open }, 200, { 'cache-control': 'no-store' });
  },
);
