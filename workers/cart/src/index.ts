// The cart worker: one CartDO per shopper, addressed by the subject the gateway verified (never by an id a
// client sends). Prices and product data come from the catalog over RPC, never from the client.
import { WorkerEntrypoint } from 'cloudflare:workers';
import { CartDO } from '../../../durable-objects/cart/cart.do';
import { checkoutSnapshotOf } from '../../../durable-objects/cart/snapshot';
import type { CartLimits, CartOp, CartResult, CartState } from '../../../durable-objects/cart/types';
import type { Identity } from '../../../lib/auth/tokens';
import { AddItemBody, CartSku, type CartView, SetQuantityBody } from '../../../lib/cart/schemas';
import type { CartMergeResult, CartSnapshot, OrderedLine, ShownPrice } from '../../../lib/contracts/cart';
import type { VariantInfo, VariantList } from '../../../lib/contracts/catalog';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { AppError } from '../../../lib/errors';
import { HEALTH_PROBE, workerHealth } from '../../../lib/health';
import { log } from '../../../lib/log';
import { recordCalls } from '../../../lib/metrics/events';
import { type RpcResult, rpc, unwrap } from '../../../lib/rpc';
import { acceptTraces, traced } from '../../../lib/trace';
import { cartConfig, cartLimits } from './config';

// One Analytics Engine point per call and alarm of its objects (lib/metrics/events.ts).
export { CartDO };

recordCalls(CartDO, 'cart', 'object');

/**
 * Catalog data per SKU, kept for CART_VARIANT_MEMO_MS: an add to cart and the cart answer it returns then cost one
 * catalog call at most, and a hot SKU none. A SKU not sold is remembered as null for as long.
 */
const variantMemo = new Map<string, { variant: VariantInfo | null; at: number }>();
const VARIANT_MEMO_ENTRIES = 5000;
function rememberVariant(sku: string, variant: VariantInfo | null, at: number) {
  variantMemo.delete(sku);
  variantMemo.set(sku, { variant, at });
  if (variantMemo.size > VARIANT_MEMO_ENTRIES) variantMemo.delete(variantMemo.keys().next().value!);
}

export default class CartWorker extends WorkerEntrypoint<CartEnv> {
  private limits(who: Identity): CartLimits {
    return cartLimits(cartConfig(this.env), who.role === 'guest' ? 'guest' : 'customer');
  }

  private cartOf(sub: string) {
    return traced(this.env.CARTS.get(this.env.CARTS.idFromName(sub)));
  }

  /** Catalog data of `skus` (an unknown SKU is absent), from this isolate's short memo or one catalog call. */
  private async variants(skus: string[]): Promise<Map<string, VariantInfo>> {
    const now = Date.now();
    const ttl = cartConfig(this.env).CART_VARIANT_MEMO_MS;
    const missing = skus.filter((sku) => {
      const m = variantMemo.get(sku);
      return !m || now - m.at >= ttl;
    });
    if (missing.length) {
      const answer = unwrap(await traced(this.env.CATALOG).getVariants(missing));
      const found = new Map((JSON.parse(answer.body) as VariantList).variants.map((v) => [v.sku, v]));
      for (const sku of missing) rememberVariant(sku, found.get(sku) ?? null, now);
    }
    const out = new Map<string, VariantInfo>();
    for (const sku of skus) {
      const v = variantMemo.get(sku)?.variant;
      if (v) out.set(sku, v);
    }
    return out;
  }

  /** The cart as the shopper sees it: current catalog prices, flagged where they changed since adding. */
  private async view(state: CartState): Promise<CartView> {
    const current = await this.variants(state.lines.map((l) => l.sku));
    const lines = state.lines.map((l) => {
      const v = current.get(l.sku);
      const amount = v?.price.amount ?? l.addedAmount;
      const currency = v?.price.currency ?? l.currency;
      const changed = v !== undefined && amount !== l.addedAmount;
      return {
        sku: l.sku,
        productSlug: v?.productSlug ?? l.productSlug,
        title: v ? `${v.productTitle} — ${v.title}` : l.title,
        image: v?.image ?? l.image,
        quantity: l.quantity,
        unitPrice: { amount, currency },
        lineTotal: { amount: amount * l.quantity, currency },
        priceChanged: changed,
        ...(changed ? { previousUnitPrice: { amount: l.addedAmount, currency: l.currency } } : {}),
        available: v !== undefined,
      };
    });
    const sold = lines.filter((l) => l.available);
    const currency = state.currency;
    return {
      lines,
      subtotal: currency ? { amount: sold.reduce((n, l) => n + l.lineTotal.amount, 0), currency } : null,
      itemCount: lines.reduce((n, l) => n + l.quantity, 0),
      currency,
      version: state.version,
      expiresAt: state.expiresAt ? new Date(state.expiresAt).toISOString() : null,
    };
  }

  private async write(who: Identity, op: CartOp, ifMatch: number | undefined): Promise<CartView> {
    const result: CartResult = await this.cartOf(who.sub).apply(op, this.limits(who), ifMatch);
    if (!result.ok) {
      switch (result.reason) {
        case 'STALE_VERSION':
          throw new AppError('PRECONDITION_FAILED', 'The cart changed since you read it; read it again.', {
            details: { currentVersion: result.version },
          });
        case 'NOT_IN_CART':
          throw new AppError('NOT_FOUND', `${result.sku} is not in the cart.`);
        case 'CURRENCY_MISMATCH':
          throw new AppError('CURRENCY_MISMATCH', `This cart is in ${result.cartCurrency}; one currency per cart.`);
        case 'LIMIT':
          throw new AppError('CART_LIMIT_EXCEEDED', result.message);
      }
    }
    return this.view(result.cart);
  }

  /** Catalog data for one SKU as a cart line; an unknown or unpublished SKU is a 404. */
  private async lineFor(sku: string) {
    const v = (await this.variants([sku])).get(sku);
    if (!v) throw new AppError('NOT_FOUND', `No product is sold under SKU ${sku}.`);
    return {
      sku,
      addedAmount: v.price.amount,
      currency: v.price.currency,
      title: `${v.productTitle} — ${v.title}`,
      productSlug: v.productSlug,
      image: v.image,
    };
  }

  async getCart(who: Identity) {
    return rpc(async () => ({ cart: await this.view(await this.cartOf(who.sub).cart()) }));
  }

  async addItem(who: Identity, input: unknown, ifMatch?: number) {
    return rpc(async () => {
      const body = AddItemBody.parse(input);
      return {
        cart: await this.write(
          who,
          { kind: 'add', line: await this.lineFor(body.sku), quantity: body.quantity },
          ifMatch,
        ),
      };
    });
  }

  async setQuantity(who: Identity, skuInput: unknown, input: unknown, ifMatch?: number) {
    return rpc(async () => {
      const sku = CartSku.parse(skuInput);
      const { quantity } = SetQuantityBody.parse(input);
      const line = quantity === 0 ? undefined : await this.lineFor(sku);
      return { cart: await this.write(who, { kind: 'set', sku, quantity, line }, ifMatch) };
    });
  }

  async removeItem(who: Identity, skuInput: unknown, ifMatch?: number) {
    return rpc(async () => ({
      cart: await this.write(who, { kind: 'remove', sku: CartSku.parse(skuInput) }, ifMatch),
    }));
  }

  /**
   * Moves a guest's cart into a customer's when the guest logs in: drain (guest) -> absorb (customer, once per
   * token) -> confirm (guest). Safe to run twice at once or again after an interruption. Nothing is lost: what does
   * not fit the customer's cart stays in the guest's, and the answer names it with the reason.
   */
  async mergeGuestCart(subjects: { guest: string; customer: string }): Promise<CartMergeResult> {
    const guest = this.cartOf(subjects.guest);
    const { token, lines } = await guest.drain(subjects.customer);
    if (!token) return { merged: 0, kept: [] };
    const limits = this.limits({ sub: subjects.customer, role: 'customer' });
    const { taken, left } = await this.cartOf(subjects.customer).absorb(token, lines, limits);
    await guest.confirmDrain(token, this.limits({ sub: subjects.guest, role: 'guest' }), taken);
    if (left.length) log.info('login merge left lines in the guest cart', { guest: subjects.guest, left });
    return { merged: taken.reduce((n, l) => n + l.quantity, 0), kept: left };
  }

  /** What a checkout orders: the cart's lines, the prices the shopper was shown for them, and the version. */
  async checkoutSnapshot(who: Identity): Promise<RpcResult<CartSnapshot>> {
    return rpc(async () => checkoutSnapshotOf(await this.cartOf(who.sub).cart()));
  }

  /**
   * A checkout answered PRICE_CHANGED with these prices: the shopper has now seen them, so they become the lines'
   * reference prices (the cart stops flagging them) and the next checkout at these prices goes through.
   */
  async confirmPrices(who: Identity, prices: ShownPrice[]): Promise<RpcResult<{ version: number }>> {
    return rpc(async () => {
      const state = await this.cartOf(who.sub).confirmPrices(prices, this.limits(who));
      return { version: state.version };
    });
  }

  /** The order was accepted: its lines leave the cart (once per order). */
  async checkedOut(who: Identity, orderId: string, lines: OrderedLine[]): Promise<RpcResult<object>> {
    return rpc(async () => {
      await this.cartOf(who.sub).checkedOut(orderId, lines, this.limits(who));
      return {};
    });
  }

  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') {
      const report = await this.health();
      const ok = Object.values(report.checks).every((c) => c.status === 'ok' || !c.required);
      return Response.json(report, { status: ok ? 200 : 503 });
    }
    return new Response('not found', { status: 404 });
  }

  /** Its settings and a read of one CartDO (the class answers, its storage works), and its breakers. */
  async health(): Promise<WorkerHealth> {
    return workerHealth({
      cartSettings: { required: true, run: async () => cartConfig(this.env) },
      cartObjects: { required: true, run: () => this.cartOf(HEALTH_PROBE).cart() },
    });
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
recordCalls(CartWorker, 'cart');
acceptTraces(CartWorker);
