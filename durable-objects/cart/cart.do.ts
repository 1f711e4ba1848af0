// CartDO: one shopper's cart (addressed by the verified subject), in the object's SQLite storage.
// Every write is one synchronous check-and-write (version, bounds, currency) with no other I/O in between,
// so concurrent requests are applied one after another in a definite order. The shopper's own calls (view, add,
// set, remove) come straight from the gateway: the object looks up the catalog data first (catalog.ts, before the
// write, so nothing waits on it inside the check-and-write), applies its bounds from its own vars (config.ts) for
// the caller's role, and answers the cart as the shopper sees it (view.ts). It keeps the price at which each line
// was added, to flag changes.
// Expiry: each write re-arms the alarm; when it fires after the idle time, the storage is deleted.
// Guest-to-customer merges are two-phase (drain -> absorb -> confirm) with a token, so a merge that is
// interrupted or run twice at once neither loses nor doubles a line; what does not fit the customer's cart stays in
// the guest's, and the merge says which lines and why.
import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { AddItemBody, CartSku, type CartView, SetQuantityBody } from '../../lib/cart/schemas';
import type { VariantInfo } from '../../lib/contracts/catalog';
import { AppError } from '../../lib/errors';
import { type RpcResult, rpc } from '../../lib/rpc';
import { acceptTraces } from '../../lib/trace';
import { type VariantsSource, variantsOf } from './catalog';
import { type CartRole, CartRoleSchema, cartConfig, cartLimits } from './config';
import type { CartLimits, CartLine, CartOp, CartResult, CartState, MergeLeftReason, MergeOutcome } from './types';
import { cartView, lineOf } from './view';

/** What the object reads from its env (the cart worker's): its vars, and the catalog for the shopper's calls. */
interface CartObjectEnv {
  CATALOG: VariantsSource;
}

/** A version the caller read (the gateway's If-Match), or none: the write then applies in arrival order. */
const IfMatchVersion = z.number().int().nonnegative().optional();

/** A shopper's call answers the whole cart as they see it. */
type CartAnswer = RpcResult<{ cart: CartView }>;

interface LineRow extends Record<string, SqlStorageValue> {
  sku: string;
  quantity: number;
  added_amount: number;
  currency: string;
  title: string;
  product_slug: string;
  image: string | null;
}

export class CartDO extends DurableObject {
  private sql: SqlStorage;
  private schemaReady = false;
  /** Whether this instance has set the expiry alarm (`committed`); `alarm` keeps it set until it empties the cart. */
  private alarmArmed = false;
  /**
   * The cart as last read, kept between calls: this object is its storage's only writer, and every change to the
   * lines or the version goes through `committed` (which drops it) or `alarm`'s delete. A write then reads its
   * state once, not three times (issue 10: each read is two statements on the object's one thread).
   */
  private memo: CartState | undefined;

  private cartEnv: CartObjectEnv;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.cartEnv = env as CartObjectEnv;
  }

  /** The bounds and lifetime of this cart for the caller's role (the cart worker's vars, validated once). */
  private limitsFor(role: CartRole): CartLimits {
    return cartLimits(cartConfig(this.env as object), role);
  }

  /** The catalog data of `skus`, from this isolate's memo or one catalog call (a failure is a 503). */
  private variants(skus: string[]) {
    return variantsOf(this.cartEnv.CATALOG, skus, cartConfig(this.env as object).CART_VARIANT_MEMO_MS);
  }

  /**
   * The cart as the shopper sees it, from the catalog data `known` (looked up before a write) plus any SKU a
   * concurrent write added meanwhile. After a write nothing may answer 503 (the change is stored, and a client
   * retrying it would add it twice): a SKU the catalog cannot answer for then shows as it was stored.
   */
  private async shown(state: CartState, known: Map<string, VariantInfo>, written: boolean): Promise<CartView> {
    const missing = state.lines.map((l) => l.sku).filter((sku) => !known.has(sku));
    if (missing.length === 0) return cartView(state, known);
    try {
      const more = await this.variants(missing);
      return cartView(state, new Map([...known, ...more]));
    } catch (err) {
      if (!written) throw err;
      return cartView(state, known, new Set(missing));
    }
  }

  /**
   * One write for the shopper. The catalog data of the cart's SKUs and of `sku` is looked up first, so a catalog
   * that fails answers 503 before anything is stored; then the object's one synchronous check-and-write; its
   * refusals become the errors the gateway answers (409, 412, 422...).
   */
  private async write(
    roleInput: unknown,
    ifMatchInput: unknown,
    sku: string,
    opFor: (v: VariantInfo | undefined) => CartOp,
  ): Promise<{ cart: CartView }> {
    const role = CartRoleSchema.parse(roleInput);
    const ifMatch = IfMatchVersion.parse(ifMatchInput);
    const before = await this.cart();
    const known = await this.variants([...new Set([...before.lines.map((l) => l.sku), sku])]);
    const result = await this.apply(opFor(known.get(sku)), this.limitsFor(role), ifMatch);
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
    return { cart: await this.shown(result.cart, known, true) };
  }

  /** The shopper's cart: current catalog prices, flagged where they changed since adding. */
  async view(): Promise<CartAnswer> {
    return rpc(async () => ({ cart: await this.shown(await this.cart(), new Map(), false) }));
  }

  /** Adds a SKU (quantities add up); `input` is the request body, validated here. */
  async addItem(role: CartRole, input: unknown, ifMatch?: number): Promise<CartAnswer> {
    return rpc(async () => {
      const body = AddItemBody.parse(input);
      return this.write(role, ifMatch, body.sku, (v) => ({
        kind: 'add',
        line: lineOf(body.sku, v),
        quantity: body.quantity,
      }));
    });
  }

  /** Sets a line's quantity (0 removes it). */
  async setQuantity(role: CartRole, skuInput: unknown, input: unknown, ifMatch?: number): Promise<CartAnswer> {
    return rpc(async () => {
      const sku = CartSku.parse(skuInput);
      const { quantity } = SetQuantityBody.parse(input);
      return this.write(role, ifMatch, sku, (v) => ({
        kind: 'set',
        sku,
        quantity,
        line: quantity === 0 ? undefined : lineOf(sku, v),
      }));
    });
  }

  async removeItem(role: CartRole, skuInput: unknown, ifMatch?: number): Promise<CartAnswer> {
    return rpc(async () => {
      const sku = CartSku.parse(skuInput);
      return this.write(role, ifMatch, sku, () => ({ kind: 'remove', sku }));
    });
  }

  /** Creates the tables on first use after a wake or after expiry deleted everything (synchronous). */
  private ready() {
    if (this.schemaReady) return;
    this.sql.exec(`
      create table if not exists line (
        sku text primary key, quantity integer not null, added_amount integer not null, currency text not null,
        title text not null, product_slug text not null, image text, position integer not null);
      create table if not exists meta (key text primary key, value text not null);
      create table if not exists absorbed (token text primary key, at integer not null);
      create table if not exists drain (
        token text primary key, target text not null, lines text not null, at integer not null);
      create table if not exists drained_line (sku text primary key, quantity integer not null);
      create table if not exists checked_out (order_id text primary key, at integer not null);
    `);
    // What an absorb took and left (JSON MergeOutcome), so a replayed absorb answers the same. Null on rows written
    // before the column existed: those absorbs took everything.
    const absorbedColumns = this.sql.exec<{ name: string }>("select name from pragma_table_info('absorbed')").toArray();
    if (!absorbedColumns.some((c) => c.name === 'outcome'))
      this.sql.exec('alter table absorbed add column outcome text');
    this.schemaReady = true;
  }

  private meta(key: string): string | null {
    return (
      (this.sql.exec<{ value: string }>('select value from meta where key = ?', key).toArray()[0]?.value as string) ??
      null
    );
  }

  private lines(): CartLine[] {
    return this.sql
      .exec<LineRow>(
        'select sku, quantity, added_amount, currency, title, product_slug, image from line order by position',
      )
      .toArray()
      .map((r) => ({
        sku: r.sku,
        quantity: r.quantity,
        addedAmount: r.added_amount,
        currency: r.currency,
        title: r.title,
        productSlug: r.product_slug,
        image: r.image,
      }));
  }

  private state(): CartState {
    if (this.memo) return this.memo;
    const lines = this.lines();
    // Both meta values in one statement.
    const meta = new Map(
      this.sql
        .exec<{ key: string; value: string }>("select key, value from meta where key in ('version', 'expiresAt')")
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    const expires = meta.get('expiresAt');
    this.memo = {
      version: Number(meta.get('version') ?? 0),
      currency: lines[0]?.currency ?? null,
      lines,
      expiresAt: expires ? Number(expires) : null,
    };
    return this.memo;
  }

  /**
   * Bumps the version and pushes the expiry out; the caller has written the change already. A caller that knows the
   * lines as written (`applyNow`) passes them, and they become the memo as they are: a read would give the same
   * lines in the same order, and reading them back cost a write two more statements (issue 10).
   */
  private committed(limits: CartLimits, written?: CartLine[]): CartState {
    // The version is only ever changed here, so the memo's is current even when the lines just changed.
    const version = (this.memo?.version ?? Number(this.meta('version') ?? 0)) + 1;
    this.memo = undefined;
    const expiresAt = Date.now() + limits.ttlSeconds * 1000;
    this.sql.exec(
      `insert into meta (key, value) values ('version', ?), ('expiresAt', ?)
       on conflict (key) do update set value = excluded.value`,
      String(version),
      String(expiresAt),
    );
    // One alarm is enough: set on this instance's first write, it fires at that write's expiry, finds the later one
    // of the writes since and re-arms for it (`alarm`). Setting it again on every write cost a storage write each.
    if (!this.alarmArmed) {
      void this.ctx.storage.setAlarm(expiresAt);
      this.alarmArmed = true;
    }
    if (written) this.memo = { version, currency: written[0]?.currency ?? null, lines: written, expiresAt };
    return this.state();
  }

  /** A new line, last in the cart's order (one statement: its place is the last one's plus one). */
  private insertLine(line: Omit<CartLine, 'quantity'>, quantity: number) {
    this.sql.exec(
      `insert into line (sku, quantity, added_amount, currency, title, product_slug, image, position)
       select ?, ?, ?, ?, ?, ?, ?, coalesce(max(position), 0) + 1 from line`,
      line.sku,
      quantity,
      line.addedAmount,
      line.currency,
      line.title,
      line.productSlug,
      line.image,
    );
  }

  private checkBounds(lines: CartLine[], limits: CartLimits): string | null {
    if (lines.length > limits.maxLines) return `A cart holds at most ${limits.maxLines} different items.`;
    const over = lines.find((l) => l.quantity > limits.maxLineQuantity);
    if (over) return `At most ${limits.maxLineQuantity} of one item (${over.sku}) per cart.`;
    const total = lines.reduce((n, l) => n + l.quantity, 0);
    if (total > limits.maxItems) return `A cart holds at most ${limits.maxItems} items in all.`;
    return null;
  }

  /**
   * Ops: the cart for an export to R2 (docs/runbook.md#exporting-the-durable-objects); null when the object has no
   * cart (never used, or expired and emptied). A read that creates nothing, unlike `cart()`.
   */
  async exportCart(): Promise<CartState | null> {
    const tables = this.sql.exec("select 1 from sqlite_master where type = 'table' and name = 'line'").toArray();
    if (tables.length === 0) return null;
    this.ready();
    const state = this.state();
    return state.version === 0 && state.lines.length === 0 ? null : state;
  }

  async cart(): Promise<CartState> {
    this.ready();
    return this.state();
  }

  /**
   * `fn`, which writes the cart and ends in `committed` (or refuses before writing); should it throw half way, the
   * memo goes too, since storage may have changed without `committed` having run.
   */
  private writing<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      this.memo = undefined;
      throw err;
    }
  }

  /** One write. `ifMatch` (a version) makes it conditional; without it, writes apply in arrival order. */
  async apply(op: CartOp, limits: CartLimits, ifMatch?: number): Promise<CartResult> {
    return this.writing(() => this.applyNow(op, limits, ifMatch));
  }

  private applyNow(op: CartOp, limits: CartLimits, ifMatch?: number): CartResult {
    this.ready();
    const current = this.state();
    if (ifMatch !== undefined && ifMatch !== current.version)
      return { ok: false, reason: 'STALE_VERSION', version: current.version };
    if (op.kind !== 'remove' && (!Number.isInteger(op.quantity) || op.quantity < (op.kind === 'add' ? 1 : 0))) {
      return { ok: false, reason: 'LIMIT', message: 'The quantity must be a whole number, at least 1 to add.' };
    }
    const next = current.lines.map((l) => ({ ...l }));
    const sku = op.kind === 'add' ? op.line.sku : op.sku;
    const existing = next.find((l) => l.sku === sku);

    if (op.kind === 'remove' || (op.kind === 'set' && op.quantity === 0)) {
      if (!existing) return { ok: false, reason: 'NOT_IN_CART', sku: op.sku };
      this.sql.exec('delete from line where sku = ?', op.sku);
      // The shopper decided about this line during a pending merge: the merge's confirm leaves it alone.
      this.sql.exec('delete from drained_line where sku = ?', op.sku);
      const rest = next.filter((l) => l !== existing);
      return { ok: true, cart: this.committed(limits, rest) };
    }
    if (op.kind === 'set' && !existing) return { ok: false, reason: 'NOT_IN_CART', sku: op.sku };
    const line = op.line!;
    if (current.currency && current.currency !== line.currency) {
      return { ok: false, reason: 'CURRENCY_MISMATCH', cartCurrency: current.currency };
    }
    const quantity = op.kind === 'add' ? (existing?.quantity ?? 0) + op.quantity : op.quantity;
    // The line as storage will hold it: the latest catalog data travels with every write; an existing line keeps
    // its added price and currency (and its place).
    const written: CartLine = existing
      ? Object.assign(existing, { quantity, title: line.title, productSlug: line.productSlug, image: line.image })
      : {
          sku: line.sku,
          quantity,
          addedAmount: line.addedAmount,
          currency: line.currency,
          title: line.title,
          productSlug: line.productSlug,
          image: line.image,
        };
    if (!existing) next.push(written);
    const problem = this.checkBounds(next, limits);
    if (problem) return { ok: false, reason: 'LIMIT', message: problem };

    if (existing) {
      this.sql.exec(
        'update line set quantity = ?, title = ?, product_slug = ?, image = ? where sku = ?',
        quantity,
        line.title,
        line.productSlug,
        line.image,
        line.sku,
      );
      if (op.kind === 'set') this.sql.exec('delete from drained_line where sku = ?', line.sku);
    } else {
      this.insertLine(line, quantity);
    }
    return { ok: true, cart: this.committed(limits, next) };
  }

  /**
   * Merge, phase 1 (guest cart): hands out its lines under a token, and marks what was handed out. While a merge
   * is unconfirmed, the same target gets the same token and lines again; another target gets nothing, so one
   * guest cart never lands in two customer carts.
   */
  async drain(target: string): Promise<{ token: string; lines: CartLine[] }> {
    this.ready();
    const pending = this.sql
      .exec<{ token: string; target: string; lines: string }>('select token, target, lines from drain')
      .toArray()[0];
    if (pending)
      return pending.target === target
        ? { token: pending.token, lines: JSON.parse(pending.lines) as CartLine[] }
        : { token: '', lines: [] };
    const lines = this.lines();
    if (lines.length === 0) return { token: '', lines };
    const token = crypto.randomUUID();
    this.sql.exec(
      'insert into drain (token, target, lines, at) values (?, ?, ?, ?)',
      token,
      target,
      JSON.stringify(lines),
      Date.now(),
    );
    for (const l of lines) this.sql.exec('insert into drained_line (sku, quantity) values (?, ?)', l.sku, l.quantity);
    return { token, lines };
  }

  /**
   * Merge, phase 2 (customer cart): adds the lines once per token, within the bounds, and answers what it took and
   * what it left (with the reason). A replay of the token answers the first absorb's outcome and changes nothing.
   */
  async absorb(token: string, incoming: CartLine[], limits: CartLimits): Promise<{ cart: CartState } & MergeOutcome> {
    return this.writing(() => this.absorbNow(token, incoming, limits));
  }

  private absorbNow(token: string, incoming: CartLine[], limits: CartLimits): { cart: CartState } & MergeOutcome {
    this.ready();
    const done = this.sql
      .exec<{ outcome: string | null }>('select outcome from absorbed where token = ?', token)
      .toArray()[0];
    if (done) {
      const outcome: MergeOutcome = done.outcome
        ? (JSON.parse(done.outcome) as MergeOutcome)
        : { taken: incoming.map((l) => ({ sku: l.sku, quantity: l.quantity })), left: [] };
      return { cart: this.state(), ...outcome };
    }
    const lines = this.lines();
    const currency = lines[0]?.currency ?? incoming[0]?.currency;
    let total = lines.reduce((n, l) => n + l.quantity, 0);
    const outcome: MergeOutcome = { taken: [], left: [] };
    const leave = (item: CartLine, quantity: number, reason: MergeLeftReason) =>
      outcome.left.push({ sku: item.sku, quantity, reason });
    for (const item of incoming) {
      // One currency per cart: the customer's cart decides.
      if (item.currency !== currency) {
        leave(item, item.quantity, 'CURRENCY');
        continue;
      }
      const have = lines.find((l) => l.sku === item.sku);
      if (!have && lines.length >= limits.maxLines) {
        leave(item, item.quantity, 'MAX_LINES');
        continue;
      }
      const lineRoom = limits.maxLineQuantity - (have?.quantity ?? 0);
      const itemsRoom = limits.maxItems - total;
      const add = Math.max(0, Math.min(item.quantity, lineRoom, itemsRoom));
      if (add < item.quantity) leave(item, item.quantity - add, lineRoom <= itemsRoom ? 'LINE_QUANTITY' : 'MAX_ITEMS');
      if (add === 0) continue;
      total += add;
      outcome.taken.push({ sku: item.sku, quantity: add });
      if (have) {
        have.quantity += add;
        this.sql.exec('update line set quantity = ? where sku = ?', have.quantity, item.sku);
      } else {
        this.insertLine(item, add);
        lines.push({ ...item, quantity: add });
      }
    }
    this.sql.exec(
      'insert into absorbed (token, at, outcome) values (?, ?, ?)',
      token,
      Date.now(),
      JSON.stringify(outcome),
    );
    return { cart: outcome.taken.length ? this.committed(limits) : this.state(), ...outcome };
  }

  /**
   * Merge, phase 3 (guest cart): removes what the customer's cart took under `token` (its absorb's `taken`); what
   * did not fit stays. What the shopper added since stays too, and a line the shopper
   * removed or set since is the shopper's decision and is left as it is.
   */
  async confirmDrain(token: string, limits: CartLimits, taken: MergeOutcome['taken']): Promise<CartState> {
    this.ready();
    if (!this.sql.exec('select 1 from drain where token = ?', token).toArray().length) return this.state();
    const drained = this.sql
      .exec<{ sku: string; quantity: number }>('select sku, quantity from drained_line')
      .toArray();
    const tookOf = new Map(taken.map((t) => [t.sku, t.quantity]));
    this.ctx.storage.transactionSync(() => {
      for (const d of drained) {
        const took = Math.min(d.quantity, tookOf.get(d.sku) ?? 0);
        if (took > 0) this.sql.exec('update line set quantity = quantity - ? where sku = ?', took, d.sku);
      }
      this.sql.exec('delete from line where quantity <= 0');
      this.sql.exec('delete from drained_line');
      this.sql.exec('delete from drain where token = ?', token);
    });
    return this.committed(limits);
  }

  /**
   * An order was accepted for these lines: they leave the cart, once per order (a retry changes nothing).
   * Only what was ordered is taken out; what the shopper added while checking out stays.
   */
  async checkedOut(
    orderId: string,
    ordered: { sku: string; quantity: number }[],
    limits: CartLimits,
  ): Promise<CartState> {
    this.ready();
    if (this.sql.exec('select 1 from checked_out where order_id = ?', orderId).toArray().length) return this.state();
    this.ctx.storage.transactionSync(() => {
      for (const l of ordered)
        this.sql.exec('update line set quantity = quantity - ? where sku = ?', l.quantity, l.sku);
      this.sql.exec('delete from line where quantity <= 0');
      this.sql.exec('insert into checked_out (order_id, at) values (?, ?)', orderId, Date.now());
    });
    return this.committed(limits);
  }

  /**
   * The shopper was shown these prices (a checkout answered PRICE_CHANGED): they become the lines' reference
   * prices. A new version, so an If-Match taken before the change no longer matches.
   */
  async confirmPrices(prices: { sku: string; unitAmount: number }[], limits: CartLimits): Promise<CartState> {
    this.ready();
    this.ctx.storage.transactionSync(() => {
      for (const p of prices)
        if (Number.isInteger(p.unitAmount) && p.unitAmount >= 0)
          this.sql.exec('update line set added_amount = ? where sku = ?', p.unitAmount, p.sku);
    });
    return this.committed(limits);
  }

  /** The idle time has passed: the cart is empty and its storage freed. Otherwise re-arm for the real expiry. */
  override async alarm(): Promise<void> {
    this.ready();
    const expiresAt = Number(this.meta('expiresAt') ?? 0);
    if (expiresAt > Date.now()) {
      await this.ctx.storage.setAlarm(expiresAt);
      return;
    }
    this.memo = undefined;
    await this.ctx.storage.deleteAll();
    this.schemaReady = false;
    this.alarmArmed = false;
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
acceptTraces(CartDO);
