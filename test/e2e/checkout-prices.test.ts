// Checkout charges only what the shopper saw (issue 11, finding 3), and prices come from the versioned edge
// catalog with the primary as the fallback (issue 10). A merchant changes a price between cart and checkout: the
// checkout answers 409 PRICE_CHANGED with the new lines before any hold or PaymentIntent, the cart keeps the new
// prices, and the next attempt succeeds at them.
import { describe, expect, it } from 'vitest';
import { testVars } from '../stack.config';
import { checkout, checkoutBody, freshSku, inventory, shopperWith, stripe } from './checkout-helpers';
import { adminPatch, client, eventually, ok, primary } from './helpers';
import { pgControl } from './pg-control';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const slugOf = async (sku: string) =>
  (
    await primary<{ slug: string }>(
      'select p.slug from products p join product_variants v on v.product_id = p.id where v.sku = $1',
      [sku],
    )
  )[0]!.slug;
/** The subject of a token (its payload, not verified: the test made it). */
const subOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;
async function intentsOf(owner: string) {
  const all = await stripe().paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  return all.filter((pi) => pi.metadata?.owner === owner);
}
const cartOf = (token: string) => client(token).GET('/v1/cart');

/** Changes the price as the merchant and waits until the catalog (and so the cart) shows it. */
async function changePrice(token: string, sku: string, amount: number) {
  expect((await adminPatch(await slugOf(sku), { priceAmount: amount })).status).toBe(200);
  return eventually(
    'the cart shows the new price',
    async () => {
      const { data, response } = await cartOf(token);
      return data?.lines[0]?.unitPrice.amount === amount ? { cart: data, etag: response.headers.get('etag')! } : false;
    },
    5000,
  );
}

type PriceChanged = {
  lines: { sku: string; unitPrice: unknown; previousUnitPrice: unknown; priceChanged: boolean }[];
  totals: { total: { amount: number } };
  cartVersion: number;
};

describe('checkout prices', () => {
  it('refuses a price changed after the cart was shown (409 PRICE_CHANGED, no PaymentIntent); the next attempt pays the new price', async () => {
    const sku = await freshSku(5, 10_899);
    const token = await shopperWith(sku, 1);
    await changePrice(token, sku, 9_999_999);

    const r = await checkout(token);
    expect(r.response.status).toBe(409);
    expect(r.error?.error.code).toBe('PRICE_CHANGED');
    const details = r.error!.error.details as PriceChanged;
    expect(details.lines).toEqual([
      expect.objectContaining({
        sku,
        unitPrice: usd(9_999_999),
        previousUnitPrice: usd(10_899),
        priceChanged: true,
      }),
    ]);
    expect(await intentsOf(subOf(token))).toEqual([]);
    expect(await inventory(sku)).toMatchObject({ held: 0, available: 5 });
    // The cart now keeps the shown price: no longer flagged, a new version.
    const cart = await ok('cart', cartOf(token));
    expect(cart.lines[0]).toMatchObject({ unitPrice: usd(9_999_999), priceChanged: false });
    expect(cart.version).toBe(details.cartVersion);

    const again = await checkout(token);
    expect(again.response.status).toBe(202);
    expect(again.data!.totals.total).toEqual(usd(details.totals.total.amount));
    const intents = await intentsOf(subOf(token));
    expect(intents.map((pi) => pi.amount)).toEqual([details.totals.total.amount]);
  });

  it('refuses it with If-Match too, and accepts the retry with the new ETag; a stale ETag is 412', async () => {
    const sku = await freshSku(5, 10_899);
    const token = await shopperWith(sku, 1);
    const shown = await ok('cart', cartOf(token));
    const etag = `"v${shown.version}"`;
    await changePrice(token, sku, 9_999_999);

    const withEtag = (ifMatch: string) =>
      client(token).POST('/v1/checkout', {
        params: { header: { 'idempotency-key': crypto.randomUUID(), 'if-match': ifMatch } },
        body: checkoutBody(),
      });
    const r = await withEtag(etag);
    expect(r.response.status).toBe(409);
    expect(r.error?.error.code).toBe('PRICE_CHANGED');
    const { cartVersion } = r.error!.error.details as PriceChanged;
    expect(await intentsOf(subOf(token))).toEqual([]);

    const stale = await withEtag(etag);
    expect(stale.response.status).toBe(412);
    expect(stale.error?.error.code).toBe('PRECONDITION_FAILED');

    const ok202 = await withEtag(`"v${cartVersion}"`);
    expect(ok202.response.status).toBe(202);
    expect((await intentsOf(subOf(token))).length).toBe(1);
  });

  it('holds a request to the total it names: a different total is refused, the shown one accepted', async () => {
    const sku = await freshSku(5, 4000);
    const token = await shopperWith(sku, 1);
    // 40.00 + 5.00 shipping + 7.25 % tax (3.26) = 48.26
    const wrong = await checkout(token, checkoutBody('pm_card_visa', { expectedTotal: usd(4000) }));
    expect(wrong.response.status).toBe(409);
    expect(wrong.error?.error.code).toBe('PRICE_CHANGED');
    expect((wrong.error!.error.details as PriceChanged).totals.total).toEqual(usd(4826));
    expect(await intentsOf(subOf(token))).toEqual([]);

    // The shopper saw the new price in the cart (flagged) and names the new total (50.00 + 5.00 + 3.99): accepted.
    await changePrice(token, sku, 5000);
    const right = await checkout(token, checkoutBody('pm_card_visa', { expectedTotal: usd(5899) }));
    expect(right.response.status).toBe(202);
    expect(right.data!.totals.total).toEqual(usd(5899));
  });

  it('prices from the primary when the edge catalog cannot fill (replica down, new generation)', async () => {
    const sku = await freshSku(5, 3000);
    const token = await shopperWith(sku, 1);
    await pgControl('stopReplica');
    try {
      // A merchant write: a new generation, so no edge entry of the SKU exists for it yet and the replica cannot
      // fill one. Waiting on the product page (another entry) leaves the checkout to fill the SKU's own.
      const slug = await slugOf(sku);
      expect((await adminPatch(slug, { priceAmount: 3100 })).status).toBe(200);
      const written = Date.now();
      await eventually(
        'the catalog shows the new price',
        async () => {
          const { data } = await client().GET('/v1/products/{slug}', { params: { path: { slug } } });
          return data?.variants[0]?.price.amount === 3100;
        },
        5000,
      );
      // The new price on the product page does not prove the catalog has read the new generation: with the
      // replica down, a page filled under the old one is read from the primary too, while the SKU's entry under
      // the old one (filled when the cart was made) still holds 30.00. The catalog re-reads the generation at most
      // GENERATION_TTL_MS after the write; past that, the checkout prices under the new one.
      const ttl = Number(testVars.GENERATION_TTL_MS);
      await new Promise((r) => setTimeout(r, Math.max(0, written + 2 * ttl - Date.now())));
      // 31.00 + 5.00 shipping + 7.25 % tax (2.61): the total the shopper was shown.
      const r = await checkout(token, checkoutBody('pm_card_visa', { expectedTotal: usd(3861) }));
      expect(r.response.status, JSON.stringify(r.error)).toBe(202);
      expect(r.data!.totals.subtotal).toEqual(usd(3100));
    } finally {
      await pgControl('startAll');
    }
  }, 90_000);
});
