// The cart worker hosts the CartDOs: one per shopper, addressed by the subject the gateway verified (never by an id
// a client sends). The gateway calls a shopper's object directly for their own cart calls (cart.do.ts; prices and
// product data come from the catalog over RPC, never from the client); this worker keeps the calls that span
// objects or come from checkout: the login merge, the checkout snapshot, prices confirmed, lines checked out.
import { WorkerEntrypoint } from 'cloudflare:workers';
import { CartDO } from '../../../durable-objects/cart/cart.do';
import { cartConfig, cartLimits, cartRoleOf } from '../../../durable-objects/cart/config';
import { checkoutSnapshotOf } from '../../../durable-objects/cart/snapshot';
import type { CartLimits } from '../../../durable-objects/cart/types';
import type { Identity } from '../../../lib/auth/tokens';
import type { CartMergeResult, CartSnapshot, OrderedLine, ShownPrice } from '../../../lib/contracts/cart';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { HEALTH_PROBE, workerHealth } from '../../../lib/health';
import { log } from '../../../lib/log';
import { recordCalls } from '../../../lib/metrics/events';
import { type RpcResult, rpc } from '../../../lib/rpc';
import { acceptTraces, traced } from '../../../lib/trace';

// One Analytics Engine point per call and alarm of its objects (lib/metrics/events.ts).
export { CartDO };

recordCalls(CartDO, 'cart', 'object');

export default class CartWorker extends WorkerEntrypoint<CartEnv> {
  private limits(who: Identity): CartLimits {
    return cartLimits(cartConfig(this.env), cartRoleOf(who.role));
  }

  private cartOf(sub: string) {
    return traced(this.env.CARTS.get(this.env.CARTS.idFromName(sub)));
  }

  // The shopper's own calls: the gateway calls the CartDO for them itself (one hop less per cart request). These
  // stay for one release, so that a gateway rolled back or not yet deployed keeps working; remove them after.
  /** @deprecated The gateway calls `CartDO.view`. */
  async getCart(who: Identity) {
    return this.cartOf(who.sub).view();
  }

  /** @deprecated The gateway calls `CartDO.addItem`. */
  async addItem(who: Identity, input: unknown, ifMatch?: number) {
    return this.cartOf(who.sub).addItem(cartRoleOf(who.role), input, ifMatch);
  }

  /** @deprecated The gateway calls `CartDO.setQuantity`. */
  async setQuantity(who: Identity, skuInput: unknown, input: unknown, ifMatch?: number) {
    return this.cartOf(who.sub).setQuantity(cartRoleOf(who.role), skuInput, input, ifMatch);
  }

  /** @deprecated The gateway calls `CartDO.removeItem`. */
  async removeItem(who: Identity, skuInput: unknown, ifMatch?: number) {
    return this.cartOf(who.sub).removeItem(cartRoleOf(who.role), skuInput, ifMatch);
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
