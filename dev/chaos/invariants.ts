// What must hold after every fault, checked once the workload has stopped and every accepted order has settled
// (bounded): no oversell, one order per Idempotency-Key, every accepted order in Postgres exactly once and as the
// OrdersDO has it, no double charge (the local Stripe's PaymentIntents, through the real SDK), and no stock left held.
import Stripe from 'stripe';
import { ORDER_STATUSES } from '../../lib/checkout/order';
import { createStorefrontClient, type Schemas } from '../../lib/client';
import { sql } from '../sql';
import { refresh, type Session, type Workload } from './workload';

export interface InvariantContext {
  url: string;
  primaryUrl: string;
  stripeUrl: string;
  stripeKey: string;
  skus: string[];
  /** The client address the checks read from (one of the benchmarking range). */
  address: string;
  settleMs: number;
  log: (line: string) => void;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

type Order = Schemas['Order'];
/** Decided: no longer waiting on a payment (every status but `created` and `pending_payment`). */
const SETTLED = new Set<Order['status']>(ORDER_STATUSES.filter((s) => s !== 'created' && s !== 'pending_payment'));
const CHARGED = new Set<Order['status']>(['paid', 'fulfilled', 'refunded']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every order each shopper has, as its OrdersDO answers (paged). */
async function ordersOf(ctx: InvariantContext, session: Session, again = true): Promise<Order[] | undefined> {
  const api = createStorefrontClient(ctx.url, {
    token: session.accessToken,
    timeoutMs: 10_000,
    headers: { 'cf-connecting-ip': ctx.address },
  });
  const all: Order[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await api.GET('/v1/orders', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } });
    if (r.response.status === 401 && again && page === 0 && (await refresh(ctx.url, ctx.address, session)))
      return ordersOf(ctx, session, false);
    if (!r.data) return undefined;
    all.push(...r.data.orders);
    if (!r.data.nextCursor) return all;
    cursor = r.data.nextCursor;
  }
  return all;
}

/** The intents of the local Stripe whose metadata names one of `orderIds`, through the real SDK (all pages). */
async function intentsFor(ctx: InvariantContext, orderIds: Set<string>): Promise<Stripe.PaymentIntent[]> {
  const u = new URL(ctx.stripeUrl);
  const stripe = new Stripe(ctx.stripeKey, {
    host: u.hostname,
    port: Number(u.port),
    protocol: 'http',
    timeout: 10_000,
    maxNetworkRetries: 2,
  });
  const found: Stripe.PaymentIntent[] = [];
  await stripe.paymentIntents.list({ limit: 100 }).autoPagingEach((pi) => {
    if (orderIds.has(pi.metadata?.orderId ?? '')) found.push(pi);
  });
  return found;
}

export async function checkInvariants(
  ctx: InvariantContext,
  w: Workload,
): Promise<{ checks: Check[]; settledMs: number }> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const accepted = [...w.accepted.values()];
  const acceptedIds = new Set(accepted.map((a) => a.orderId));

  check('a definite answer for every checkout', w.pendingKeys === 0, `${w.pendingKeys} without one after the drain`);
  check(
    'one order per Idempotency-Key',
    w.keyConflicts.length === 0,
    `${w.keyConflicts.length} keys answered with two orders`,
  );

  // Settle: every order the shoppers have reaches a final status in its OrdersDO, and Postgres agrees (bounded).
  const started = Date.now();
  let orders: Order[] = [];
  let unreadable = 0;
  let pgRows: { id: string; status: string }[] = [];
  for (;;) {
    orders = [];
    unreadable = 0;
    for (const session of w.sessions) {
      // Past the settle bound, what is left is not read (and counted unreadable): the bound holds.
      const mine =
        Date.now() - started > ctx.settleMs + 10_000 ? undefined : await ordersOf(ctx, session).catch(() => undefined);
      if (mine) orders.push(...mine);
      else unreadable++;
    }
    // Every order Postgres has for the shoppers (not only the ids the objects listed): an order made twice, or one
    // only Postgres has, shows here.
    pgRows = await sql<{ id: string; status: string }>(
      ctx.primaryUrl,
      'select id, status from orders where owner_sub = any($1)',
      [w.sessions.map((x) => x.subject)],
    ).catch(() => []);
    const pgStatus = new Map(pgRows.map((r) => [r.id, r.status]));
    const settled = unreadable === 0 && orders.every((o) => SETTLED.has(o.status) && pgStatus.get(o.id) === o.status);
    if (settled || Date.now() - started > ctx.settleMs) break;
    await sleep(1000);
  }
  const settledMs = Date.now() - started;
  const byId = new Map(orders.map((o) => [o.id, o]));
  const open = orders.filter((o) => !SETTLED.has(o.status));
  check(
    'every accepted order settles',
    unreadable === 0 && open.length === 0,
    `${orders.length} orders; ${open.length} not settled after ${(settledMs / 1000).toFixed(1)} s` +
      (unreadable ? `; ${unreadable} shoppers' orders unreadable` : ''),
  );
  const stray = orders.filter((o) => !acceptedIds.has(o.id));
  const lost = accepted.filter((a) => !byId.has(a.orderId));
  check(
    'no order but the accepted ones',
    stray.length === 0 && lost.length === 0,
    `${stray.length} orders no 202 named, ${lost.length} accepted orders missing`,
  );
  const pgStatus = new Map(pgRows.map((r) => [r.id, r.status]));
  const notInPg = orders.filter((o) => !pgStatus.has(o.id));
  const differ = orders.filter((o) => pgStatus.has(o.id) && pgStatus.get(o.id) !== o.status);
  const onlyInPg = pgRows.filter((r) => !byId.has(r.id));
  check(
    'every accepted order in Postgres once, as its OrdersDO has it',
    notInPg.length === 0 && differ.length === 0 && onlyInPg.length === 0,
    `${orders.length - notInPg.length}/${orders.length} in Postgres, ${differ.length} with another status, ` +
      `${onlyInPg.length} in Postgres for these shoppers and not in their objects`,
  );

  // No double charge: at most one succeeded intent per order, and none for an order that is not charged.
  let intents: Stripe.PaymentIntent[] = [];
  let stripeError = '';
  try {
    intents = await intentsFor(ctx, new Set(orders.map((o) => o.id)));
  } catch (e) {
    stripeError = String(e);
  }
  const succeeded = new Map<string, number>();
  for (const pi of intents)
    if (pi.status === 'succeeded') succeeded.set(pi.metadata.orderId!, (succeeded.get(pi.metadata.orderId!) ?? 0) + 1);
  const twice = [...succeeded.values()].filter((n) => n > 1).length;
  const chargedNotPaid = [...succeeded.keys()].filter((id) => !CHARGED.has(byId.get(id)?.status ?? 'created')).length;
  const paidNotCharged = orders.filter((o) => CHARGED.has(o.status) && !succeeded.has(o.id)).length;
  check(
    'no double charge',
    !stripeError && twice === 0 && chargedNotPaid === 0 && paidNotCharged === 0,
    stripeError ||
      `${succeeded.size} charged orders; ${twice} charged twice, ${chargedNotPaid} charged but not paid, ${paidNotCharged} paid without a charge`,
  );

  // Stock: nothing oversold, sold = the units of the charged orders, nothing held once every order settled.
  const anonymous = createStorefrontClient(ctx.url, {
    timeoutMs: 10_000,
    headers: { 'cf-connecting-ip': ctx.address },
  });
  const stock: string[] = [];
  let oversold = 0;
  let held = 0;
  let soldMismatch = 0;
  for (const sku of ctx.skus) {
    const r = await anonymous.GET('/v1/inventory/{sku}', { params: { path: { sku } } }).catch(() => undefined);
    if (!r?.data) {
      stock.push(`${sku}: unreadable (${r?.response.status ?? 'no answer'})`);
      oversold++;
      continue;
    }
    const level = r.data;
    const units = orders
      .filter((o) => CHARGED.has(o.status))
      .flatMap((o) => o.lines.filter((l) => l.sku === sku))
      .reduce((n, l) => n + l.quantity, 0);
    if (level.held + level.sold > level.onHand) oversold++;
    if (level.sold !== units) soldMismatch++;
    held += level.held;
    stock.push(`${sku}: on hand ${level.onHand}, held ${level.held}, sold ${level.sold} (orders: ${units})`);
  }
  check('no oversell', oversold === 0 && soldMismatch === 0, stock.join('; '));
  check('holds released', held === 0 && open.length === 0, `${held} units still held`);
  return { checks, settledMs };
}
