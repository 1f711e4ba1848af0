// The chaos suite's mixed workload: shoppers that browse, search, fill a cart and check out in a loop through the
// gateway, each from its own address, as a careful client does: a checkout with no definite answer (a 5xx, a 429,
// no answer at all) is sent again with the SAME Idempotency-Key, so a fault may delay an order but never make two.
// Every answer is counted by kind and status for the window under way; every accepted order is kept with its key.
import { createStorefrontClient, type Schemas, type StorefrontClient } from '../../lib/client';

export const KINDS = ['browse', 'search', 'guest', 'cart', 'checkout', 'replay'] as const;
export type Kind = (typeof KINDS)[number];
/** Answers per kind and status ("0": no answer: refused connection, reset, timeout). */
export type Tally = Record<Kind, Record<string, number>>;

/** A shopper's guest session; refreshed in place when its access token has expired. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** The subject its orders are owned by (`orders.owner_sub` in Postgres). */
  subject: string;
}

export interface Accepted {
  key: string;
  orderId: string;
  sku: string;
}

export interface WorkloadOptions {
  url: string;
  /** The SKUs the shoppers buy (one unit per order), each used by this workload alone. */
  skus: string[];
  /** Words to search for. */
  words: string[];
  shoppers: number;
  /** Distinguishes this run's addresses from another's (an IPv6 /64 per shopper: the caps count a /64 once). */
  addressPrefix: string;
  log: (line: string) => void;
}

const emptyTally = (): Tally => Object.fromEntries(KINDS.map((k) => [k, {}])) as Tally;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Answers a careful client sends again, with the same key: nothing definite was said about the order. */
const retryable = (status: number, code?: string) =>
  status === 0 || status === 429 || status >= 500 || (status === 409 && code === 'IDEMPOTENCY_KEY_IN_USE');

export const checkoutBody: Schemas['CheckoutRequest'] = {
  email: 'chaos@example.com',
  shippingAddress: {
    name: 'Chaos Shopper',
    line1: '1 Main St',
    city: 'Springfield',
    postalCode: '62701',
    country: 'US',
  },
  paymentMethod: 'pm_card_visa',
};

export class Workload {
  /** Accepted orders by Idempotency-Key, over the whole run. */
  readonly accepted = new Map<string, Accepted>();
  /** Keys answered with two different orders: each accepted key is sent once more and must name its order. */
  readonly keyConflicts: string[] = [];
  /** Every guest session the shoppers held (their orders are looked up through them). */
  readonly sessions: Session[] = [];
  /** Shopper checkouts still without a definite answer when the workload last stopped (after the drain). */
  pendingKeys = 0;
  /** Checkout answers that were not definite, so the same key went again (the retries the faults caused). */
  retriedCheckouts = 0;
  /** Each shopper's session, kept from one window to the next (guest creation is rate limited per address). */
  private current: (Session | undefined)[] = [];
  private tally = emptyTally();
  private lastDefinite = 0;
  private stopping = false;
  private draining = false;
  private loops: Promise<void>[] = [];
  private notes = new Set<string>();
  private inFlight = 0;

  constructor(private readonly opts: WorkloadOptions) {}

  private api(ip: string, token?: string): StorefrontClient {
    return createStorefrontClient(this.opts.url, {
      token,
      timeoutMs: 10_000,
      headers: { 'cf-connecting-ip': ip },
    });
  }

  /** The window's counts so far, and a fresh tally for the next. */
  takeTally(): Tally {
    const t = this.tally;
    this.tally = emptyTally();
    return t;
  }

  /** Checkouts sent and not yet answered. */
  checkoutsInFlight(): number {
    return this.inFlight;
  }

  /** When a checkout last got a definite answer (202, or 409 sold out): the shoppers' path works. */
  lastDefiniteCheckoutAt(): number {
    return this.lastDefinite;
  }

  /** Starts (again) the shoppers, each with the session it had. */
  start(): void {
    this.pendingKeys = 0;
    this.stopping = false;
    this.draining = false;
    this.loops = Array.from({ length: this.opts.shoppers }, (_, n) => this.shopper(n));
  }

  /**
   * Stops the loops; a shopper whose checkout has no definite answer yet keeps sending it with its key (at most
   * `drainMs`), as a client does, so that every order made is known before the invariants are checked.
   */
  async stop(drainMs = 45_000): Promise<void> {
    this.stopping = true;
    this.draining = true;
    const deadline = sleep(drainMs).then(() => {
      this.draining = false;
    });
    await Promise.race([Promise.all(this.loops), deadline]);
    this.draining = false;
    await Promise.all(this.loops);
  }

  private async count<T>(
    kind: Kind,
    call: () => Promise<{ data?: T; error?: { error: { code: string } }; response: Response }>,
  ): Promise<{ status: number; data?: T; code?: string; retryAfter?: number }> {
    let status = 0;
    let out: { status: number; data?: T; code?: string; retryAfter?: number } = { status };
    try {
      const r = await call();
      status = r.response.status;
      const retryAfter = Number(r.response.headers.get('retry-after'));
      out = { status, data: r.data, code: r.error?.error.code, retryAfter: retryAfter > 0 ? retryAfter : undefined };
    } catch {
      out = { status: 0 };
    }
    const k = String(status);
    this.tally[kind][k] = (this.tally[kind][k] ?? 0) + 1;
    return out;
  }

  private note(line: string): void {
    if (this.notes.has(line) || this.notes.size > 50) return;
    this.notes.add(line);
    this.opts.log(line);
  }

  private async shopper(n: number): Promise<void> {
    const ip = `${this.opts.addressPrefix}:${n.toString(16)}::1`;
    const anonymous = this.api(ip);
    let pending: { key: string; sku: string } | undefined;
    let round = 0;
    while (!this.stopping || (pending && this.draining)) {
      round++;
      if (!pending) {
        const browse = await this.count('browse', () =>
          anonymous.GET('/v1/products', { params: { query: { limit: 12, sort: round % 2 ? 'newest' : 'price_asc' } } }),
        );
        if (browse.status === 0) {
          await sleep(250); // nobody answers (the workers are down): do not spin
          continue;
        }
        const q = this.opts.words[(n + round) % this.opts.words.length]!;
        await this.count('search', () => anonymous.GET('/v1/products', { params: { query: { q, limit: 12 } } }));
        if (!this.current[n]) {
          const g = await this.count('guest', () => anonymous.POST('/v1/auth/guest'));
          if (!g.data) {
            await sleep(Math.min(2000, (g.retryAfter ?? 0.5) * 1000));
            continue;
          }
          const session = {
            accessToken: g.data.accessToken,
            refreshToken: g.data.refreshToken,
            subject: g.data.subject,
          };
          this.current[n] = session;
          this.sessions.push(session);
        }
        const session = this.current[n]!;
        const sku = this.opts.skus[(n + round) % this.opts.skus.length]!;
        const add = await this.count('cart', () =>
          this.api(ip, session.accessToken).POST('/v1/cart/items', { body: { sku, quantity: 1 } }),
        );
        if (add.status === 401 && !(await refresh(this.opts.url, ip, session))) this.current[n] = undefined;
        if (!add.data) {
          if (add.status >= 400 && add.status < 500 && add.status !== 429 && add.status !== 401)
            this.note(`cart: ${add.status} ${add.code ?? ''}`);
          await sleep(Math.min(2000, (add.retryAfter ?? 0.3) * 1000));
          continue;
        }
        pending = { key: crypto.randomUUID(), sku };
      }
      const { key, sku } = pending;
      const token = this.current[n]?.accessToken;
      this.inFlight++;
      const res = await this.count('checkout', () =>
        this.api(ip, token).POST('/v1/checkout', {
          params: { header: { 'idempotency-key': key } },
          body: checkoutBody,
        }),
      );
      this.inFlight--;
      if (retryable(res.status, res.code)) {
        this.retriedCheckouts++;
        await sleep(Math.min(2000, (res.retryAfter ?? 0.5) * 1000));
        continue;
      }
      pending = undefined;
      if (res.status === 202 && res.data) {
        this.lastDefinite = Date.now();
        const orderId = res.data.orderId;
        this.accepted.set(key, { key, orderId, sku });
        // The client that lost this answer would send the key again: it must name the same order and make none.
        const again = await this.count('replay', () =>
          this.api(ip, token).POST('/v1/checkout', {
            params: { header: { 'idempotency-key': key } },
            body: checkoutBody,
          }),
        );
        if (
          (again.status === 202 && again.data?.orderId !== orderId) ||
          (again.status !== 202 && !retryable(again.status, again.code))
        ) {
          this.keyConflicts.push(key);
          this.note(`replay of an accepted key: ${again.status} ${again.code ?? ''} ${again.data?.orderId ?? ''}`);
        }
      } else {
        if (res.status === 409 && res.code === 'OUT_OF_STOCK') this.lastDefinite = Date.now();
        else this.note(`checkout: ${res.status} ${res.code ?? ''}`);
        if (res.status === 401) {
          if (!this.current[n] || !(await refresh(this.opts.url, ip, this.current[n]!))) this.current[n] = undefined;
        }
        // The line stays in the cart after a refusal: take it out, so the next round's cart holds one unit.
        else
          await this.count('cart', () =>
            this.api(ip, token).DELETE('/v1/cart/items/{sku}', { params: { path: { sku } } }),
          );
      }
      await sleep(50 + Math.random() * 150);
    }
    if (pending) this.pendingKeys++;
  }
}

/** Trades a session's refresh token for new tokens, in place; false when refused (then a new guest is made). */
export async function refresh(url: string, ip: string, session: Session): Promise<boolean> {
  try {
    const r = await createStorefrontClient(url, { timeoutMs: 10_000, headers: { 'cf-connecting-ip': ip } }).POST(
      '/v1/auth/refresh',
      { body: { refreshToken: session.refreshToken } },
    );
    if (!r.data) return false;
    session.accessToken = r.data.accessToken;
    session.refreshToken = r.data.refreshToken;
    return true;
  } catch {
    return false;
  }
}
