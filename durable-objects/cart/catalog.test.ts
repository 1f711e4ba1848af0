// The cart's catalog lookups in plain Node, with a fake catalog: the memo (an unknown SKU remembered as unsold),
// and a catalog that fails or hangs answering 503 with Retry-After instead of an error the gateway calls a 500.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VariantInfo } from '../../lib/contracts/catalog';
import { AppError } from '../../lib/errors';
import { CATALOG_TIMEOUT_MS, type VariantsSource, variantsOf } from './catalog';

const variant = (sku: string): VariantInfo => ({
  sku,
  title: 'M',
  productSlug: 'tee',
  productTitle: 'Tee',
  image: null,
  price: { amount: 1000, currency: 'USD' },
});
/** A catalog that sells `sold` and counts the SKUs it was asked for. */
function catalog(sold: string[]) {
  const asked: string[][] = [];
  const source: VariantsSource = {
    async getVariants(skus) {
      asked.push(skus);
      return {
        ok: true,
        body: JSON.stringify({ variants: skus.filter((s) => sold.includes(s)).map(variant) }),
      };
    },
  };
  return { source, asked };
}
const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`.toUpperCase();

afterEach(() => vi.useRealTimers());

describe('variantsOf', () => {
  it('asks once per memo period, remembering an unsold SKU as absent', async () => {
    const [a, b] = [unique('a'), unique('gone')];
    const { source, asked } = catalog([a]);
    const first = await variantsOf(source, [a, b], 60_000);
    expect([...first.keys()]).toEqual([a]);
    const again = await variantsOf(source, [a, b], 60_000);
    expect([...again.keys()]).toEqual([a]);
    expect(asked).toEqual([[a, b]]);
    // A memo of 0 asks every time.
    await variantsOf(source, [a], 0);
    expect(asked).toHaveLength(2);
  });

  it('turns a failing catalog into a 503 with Retry-After', async () => {
    const failing: VariantsSource = { getVariants: async () => Promise.reject(new Error('catalog broke')) };
    const err = await variantsOf(failing, [unique('x')], 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: 1 });
  });

  it('gives up on a catalog that does not answer after CATALOG_TIMEOUT_MS, with the same 503', async () => {
    vi.useFakeTimers();
    const hanging: VariantsSource = { getVariants: () => new Promise(() => {}) };
    const pending = variantsOf(hanging, [unique('y')], 0).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(CATALOG_TIMEOUT_MS - 1);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });
});
