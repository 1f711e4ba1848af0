// The ops page's sections rendered from API answers: the breakers' shape of /v1/admin/ops/breakers, and the
// dead-letters tile when only the dead-letters call answered.
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../../../lib/client';
import { Breakers, Queue } from './ops.sections';

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
