// The ops page's sections rendered from API answers: the breakers' shape of /v1/admin/ops/breakers, and the
// dead-letters tile when only the dead-letters call answered.
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../../../lib/client';
import { Breakers, Queue, WorkerCalls } from './ops.sections';

const render = async (el: unknown) => String(await (el as { toString(): string | Promise<string> }).toString());

describe('Breakers', () => {
  it('shows each worker × breaker with its state, isolate counts, retry time and the age of its latest report', async () => {
    const b: Schemas['Breakers'] = {
      staleAfterSeconds: 120,
      breakers: [
        {
          worker: 'checkout',
          name: 'stripe',
          state: 'open',
          since: '2026-11-30T10:00:00.000Z',
          isolates: { closed: 2, open: 1, halfOpen: 0, stale: 3 },
          retryAt: '2026-11-30T10:00:30.000Z',
          reportedAt: '2026-11-30T10:00:10.000Z',
          transitions: [],
        },
        {
          worker: 'catalog',
          name: 'postgres',
          state: 'closed',
          since: '2026-11-30T09:00:00.000Z',
          isolates: { closed: 4, open: 0, halfOpen: 0, stale: 0 },
          reportedAt: '2026-11-30T10:00:00.000Z',
          transitions: [],
        },
      ],
      open: [{ worker: 'checkout', name: 'stripe', state: 'open', since: '2026-11-30T10:00:00.000Z' }],
    };
    const html = await render(Breakers({ b, now: Date.parse('2026-11-30T10:00:40.000Z') }));
    expect(html).toContain('1 not closed.');
    expect(html).toContain('checkout · stripe');
    expect(html).toContain('2 closed, 1 open, 0 half-open');
    expect(html).toContain('3 stale');
    expect(html).toContain('2026-11-30T10:00:30.000Z');
    expect(html).toContain('(30 s ago)');
    expect(html).toContain('(40 s ago)');
    // Sorted by worker: catalog before checkout.
    expect(html.indexOf('catalog · postgres')).toBeLessThan(html.indexOf('checkout · stripe'));
  });

  it('says when no breaker has reported', async () => {
    const html = await render(Breakers({ b: { staleAfterSeconds: 120, breakers: [], open: [] } }));
    expect(html).toContain('No breaker open.');
    expect(html).toContain('No breaker reported yet');
  });
});

describe('Queue', () => {
  it('shows the dead letters waiting when the figures call failed but the dead-letters call answered', async () => {
    const dl = { waiting: 7, letters: [] } as unknown as Schemas['DeadLetters'];
    const html = await render(Queue({ dl }));
    expect(html).toMatch(/data-figure="dead-letters"[^>]*>7</);
    expect(html).not.toContain('outbox-pending');
  });
});

describe('Queue with the figures', () => {
  it('shows the stock copies waiting and the slow queries added up per worker, busiest first', async () => {
    const f = {
      business: {
        outbox: {
          copies: 0,
          pending: 1,
          failing: 0,
          oldestDueAt: null,
          oldestCopyAt: null,
          levels: { pending: 3, failing: 2, oldestPendingAt: '2026-11-30T09:58:00.000Z' },
        },
        deadLetters: { waiting: 0 },
      },
      slowQueries: {
        total: 5,
        perMinute: [
          { minute: '2026-11-30T09:58:00.000Z', worker: 'catalog', count: 1 },
          { minute: '2026-11-30T09:58:00.000Z', worker: 'admin', count: 2 },
          { minute: '2026-11-30T09:59:00.000Z', worker: 'admin', count: 2 },
        ],
      },
    } as unknown as Schemas['OpsFigures'];
    const html = await render(Queue({ f }));
    expect(html).toMatch(/data-figure="levels-pending"[^>]*>3</);
    expect(html).toMatch(/data-figure="levels-failing"[^>]*>2</);
    expect(html).toContain('2026-11-30T09:58:00.000Z');
    expect(html).toMatch(/admin<\/th><td>4<\/td>/);
    expect(html.indexOf('>admin<')).toBeLessThan(html.indexOf('>catalog<'));
  });
});

describe('WorkerCalls', () => {
  it('lists Analytics Engine calls per worker and method, or says the local source has none', async () => {
    const none = await render(WorkerCalls({ f: { source: 'durable-object', workers: null } as never }));
    expect(none).toContain('this source (');
    expect(none).toContain('durable-object');
    const call = { worker: 'cart', kind: 'object', className: 'CartDO', method: 'add', calls: 12, items: 12 };
    const f = { source: 'analytics-engine', workers: [{ ...call, refused: 1, errors: 0, p50: 3, p95: 9, p99: 14 }] };
    const html = await render(WorkerCalls({ f: f as never }));
    expect(html).toContain('cart · object · CartDO.add');
    expect(html).toMatch(/<td>12<\/td><td>12<\/td><td>1<\/td><td>0<\/td><td>3<\/td><td>9<\/td><td>14<\/td>/);
  });
});
