// dev/stripe-local/store.ts — what the Stripe object handlers of dev/stripe-local.ts share: the object shapes and
// ids, the in-memory maps, events (each one also handed to the webhook deliverer), `expand` and list pages.
import { randomBytes } from 'node:crypto';
import { int, invalid, list, missing, type Params, str } from './params';
import type { TestCard } from './payment-methods';

export interface Ctx {
  requestId: string | null;
  idempotencyKey: string | null;
}
export type Obj = Record<string, unknown>;
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Obj; previous_attributes?: Obj };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}
export interface PaymentIntent extends Obj {
  id: string;
  amount: number;
  currency: string;
  status: string;
  metadata: Record<string, string>;
  payment_method: string | null;
  description: string | null;
  receipt_email: string | null;
  automatic_payment_methods: { enabled: boolean; allow_redirects: string } | null;
  payment_method_types: string[];
  allowed_payment_method_types: string[] | null;
  excluded_payment_method_types: string[] | null;
  next_action: Obj | null;
  last_payment_error: Obj | null;
  latest_charge: string | null;
}
export interface Charge extends Obj {
  id: string;
  amount: number;
  amount_refunded: number;
  refunded: boolean;
  currency: string;
  status: string;
  payment_intent: string;
}

export const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const randomToken = (n: number) => [...randomBytes(n)].map((b) => ALPHABET[b % 62]).join('');
export const newId = (prefix: string) => `${prefix}_${randomToken(24)}`;
export const now = () => Math.floor(Date.now() / 1000);
export const clone = <T>(o: T): T => structuredClone(o);
/** The error code of a call the object's current status does not allow. */
export const UNEXPECTED = 'payment_intent_unexpected_state';

export type Store = ReturnType<typeof createStore>;

export function createStore(o: { apiVersion: string; baseUrl: () => string; onEvent: (e: StripeEvent) => void }) {
  const intents = new Map<string, PaymentIntent>();
  const charges = new Map<string, Charge>();
  const refunds = new Map<string, Obj & { id: string }>();
  const methods = new Map<string, { obj: Obj & { id: string }; card: TestCard }>();
  const events: StripeEvent[] = [];
  const eventsById = new Map<string, StripeEvent>();
  const returnUrls = new Map<string, string | null>();

  const emit = (type: string, obj: Obj, ctx: Ctx, previous?: Obj) => {
    const e: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: o.apiVersion,
      created: now(),
      data: { object: clone(obj), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
      type,
    };
    events.push(e);
    eventsById.set(e.id, e);
    o.onEvent(e);
  };

  // ---- expansion & lists --------------------------------------------------------------------------------
  const EXPANDABLE: Record<string, Record<string, (id: string) => Obj | undefined>> = {
    payment_intent: { latest_charge: (id) => charges.get(id), payment_method: (id) => methods.get(id)?.obj },
    charge: { payment_intent: (id) => intents.get(id) },
    refund: { charge: (id) => charges.get(id), payment_intent: (id) => intents.get(id) },
    event: {},
  };
  /** Validates `expand` (before any side effect); for lists, paths are `data.<field>`. */
  function expansions(p: Params, kind: string, isList = false): string[] {
    return list(p, 'expand').map((path) => {
      const field = isList ? (path.startsWith('data.') ? path.slice(5) : '') : path;
      if (!EXPANDABLE[kind]![field]) throw invalid(`This property cannot be expanded (${path}).`);
      return field;
    });
  }
  function render(obj: Obj, kind: string, expand: string[]): Obj {
    const out = clone(obj);
    for (const f of expand)
      if (typeof out[f] === 'string') out[f] = clone(EXPANDABLE[kind]![f]!(out[f] as string) ?? out[f]);
    return out;
  }
  function page(items: (Obj & { id: string })[], p: Params, url: string, kind: string, missingName: string): Obj {
    const expand = expansions(p, kind, true);
    const limit = int(p, 'limit') ?? 10;
    if (limit < 1 || limit > 100) throw invalid('This value must be between 1 and 100.', 'limit');
    const cursor = (k: string) => {
      const id = str(p, k);
      if (!id) return -1;
      const i = items.findIndex((x) => x.id === id);
      if (i < 0) throw missing(missingName, id, k, 400);
      return i;
    };
    const after = cursor('starting_after'),
      before = cursor('ending_before');
    let data: typeof items;
    let hasMore: boolean;
    if (after >= 0) {
      data = items.slice(after + 1, after + 1 + limit);
      hasMore = after + 1 + limit < items.length;
    } else if (before >= 0) {
      data = items.slice(Math.max(0, before - limit), before);
      hasMore = before - limit > 0;
    } else {
      data = items.slice(0, limit);
      hasMore = limit < items.length;
    }
    return { object: 'list', data: data.map((x) => render(x, kind, expand)), has_more: hasMore, url };
  }
  const getIntent = (id: string) =>
    intents.get(id) ??
    (() => {
      throw missing('payment_intent', id, 'intent');
    })();

  return {
    baseUrl: o.baseUrl,
    intents,
    charges,
    refunds,
    methods,
    events,
    eventsById,
    returnUrls,
    emit,
    expansions,
    render,
    page,
    getIntent,
  };
}
