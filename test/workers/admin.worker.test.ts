// AdminService's own role check, run inside workerd: a caller below the role gets a 403 FORBIDDEN result (never a
// thrown Error, which the gateway would answer as 500), and nothing is changed or forwarded. The gateway checks
// roles first, so only a direct call reaches this second lock.
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { GENERATION_KEY } from '../../lib/catalog/generation';
import { AdminService } from '../../workers/admin/src/index';

/** CHECKOUT_OPS stand-in: records each call and answers with `answer`. */
function checkoutOps(answer: unknown = { ok: true, inventory: { sku: 'X' } }) {
  const calls: string[] = [];
  const record =
    (name: string) =>
    async (..._args: unknown[]) => {
      calls.push(name);
      return answer;
    };
  return {
    calls,
    binding: {
      // The figures before a change, which the audit log keeps (never refused here).
      inventory: async () => {
        calls.push('inventory');
        return { ok: true, inventory: { sku: 'SKU-1', onHand: 1, held: 0, sold: 0, available: 1 } };
      },
      setStock: record('setStock'),
      adjustStock: record('adjustStock'),
      deadLetters: record('deadLetters'),
      replayDeadLetters: record('replayDeadLetters'),
    },
  };
}

function adminWith(ops: ReturnType<typeof checkoutOps>) {
  const adminEnv = { ...env, CHECKOUT_OPS: ops.binding } as unknown as ConstructorParameters<typeof AdminService>[1];
  return new AdminService(createExecutionContext(), adminEnv);
}

const customer = { sub: 'c0ffee00-0000-4000-8000-000000000001', role: 'customer' as const };
// What the gateway sends for an admin call (an Actor): the identity, its request id and the client address.
const merchant = {
  sub: 'c0ffee00-0000-4000-8000-000000000002',
  role: 'merchant' as const,
  requestId: 'c0ffee00-0000-4000-8000-00000000aaaa',
  address: '2001:db8::1',
};
const forbidden = { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } };

describe('AdminService refusals', () => {
  it('answers every operation called by a customer, a guest or no one with FORBIDDEN, and forwards nothing', async () => {
    const ops = checkoutOps();
    const admin = adminWith(ops);
    const generationBefore = await env.CATALOG_META.get(GENERATION_KEY);
    const guest = { sub: 'guest:4a1d', role: 'guest' as const };
    for (const who of [customer, guest, undefined]) {
      const caller = who as unknown as typeof merchant;
      const answers = await Promise.all([
        admin.updateProduct(caller, 'merino-wool-sweater', { title: 'Taken over' }),
        admin.setStock(caller, 'SKU-1', { onHand: 0 }),
        admin.adjustStock(caller, 'SKU-1', { delta: -5 }),
        admin.deadLetters(caller, true, 10),
        admin.replayDeadLetters(caller),
      ]);
      for (const answer of answers) expect(answer).toMatchObject(forbidden);
    }
    expect(ops.calls).toEqual([]);
    // No product write happened: a successful one publishes a new catalog generation.
    expect(await env.CATALOG_META.get(GENERATION_KEY)).toBe(generationBefore);
  });

  it('keeps dead letters for the admin role: a merchant is refused with FORBIDDEN too', async () => {
    const ops = checkoutOps();
    const admin = adminWith(ops);
    expect(await admin.deadLetters(merchant, false, 10)).toMatchObject(forbidden);
    expect(await admin.replayDeadLetters(merchant, ['x'])).toMatchObject(forbidden);
    expect(ops.calls).toEqual([]);
  });

  it("forwards a merchant's stock change, and the checkout worker's refusal comes back as the same result", async () => {
    const ok = checkoutOps({ ok: true, inventory: { sku: 'SKU-1', onHand: 7 } });
    expect(await adminWith(ok).setStock(merchant, 'SKU-1', { onHand: 7 })).toEqual({
      ok: true,
      inventory: { sku: 'SKU-1', onHand: 7 },
    });
    expect(ok.calls).toEqual(['inventory', 'setStock']);

    const refusal = { code: 'STOCK_BELOW_COMMITTED', message: 'On hand cannot go below 3.', details: { minimum: 3 } };
    const refused = checkoutOps({ ok: false, error: refusal });
    expect(await adminWith(refused).adjustStock(merchant, 'SKU-1', { delta: -9 })).toEqual({
      ok: false,
      error: { ...refusal, retryAfter: undefined, headers: undefined },
    });
  });
});
