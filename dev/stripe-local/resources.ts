// dev/stripe-local/resources.ts — the in-memory Stripe objects of dev/stripe-local.ts: PaymentIntents (card only,
// capture_method automatic), test PaymentMethods, Charges, Refunds and Events, with Stripe's state machine,
// object shapes and error messages. Every handler validates all of its parameters before changing anything.
import { randomBytes } from 'node:crypto';
import {
  bool,
  cardError,
  chargeAmount,
  check,
  currency,
  formatMoney,
  int,
  invalid,
  list,
  mergeMetadata,
  missing,
  nullable,
  type Params,
  type Spec,
  stateError,
  str,
} from './params';

export interface Ctx {
  requestId: string | null;
  idempotencyKey: string | null;
}
type Obj = Record<string, unknown>;
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
interface PaymentIntent extends Obj {
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
interface Charge extends Obj {
  id: string;
  amount: number;
  amount_refunded: number;
  refunded: boolean;
  currency: string;
  status: string;
  payment_intent: string;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const randomToken = (n: number) => [...randomBytes(n)].map((b) => ALPHABET[b % 62]).join('');
export const newId = (prefix: string) => `${prefix}_${randomToken(24)}`;
const now = () => Math.floor(Date.now() / 1000);
const clone = <T>(o: T): T => structuredClone(o);

/** Stripe's test PaymentMethod tokens: https://docs.stripe.com/testing#cards */
interface TestCard {
  brand: string;
  last4: string;
  decline?: [code: string, declineCode: string, message: string];
  action?: true;
}
const TEST_CARDS: Record<string, TestCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_amex: { brand: 'amex', last4: '0005' },
  pm_card_chargeDeclined: {
    brand: 'visa',
    last4: '0002',
    decline: ['card_declined', 'generic_decline', 'Your card was declined.'],
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    decline: ['card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
  },
  pm_card_chargeDeclinedExpiredCard: {
    brand: 'visa',
    last4: '0069',
    decline: ['expired_card', 'expired_card', 'Your card has expired.'],
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    brand: 'visa',
    last4: '0127',
    decline: ['incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."],
  },
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184', action: true },
  pm_card_threeDSecure2Required: { brand: 'visa', last4: '3220', action: true },
  pm_card_threeDSecureRequired: { brand: 'visa', last4: '3063', action: true },
};
const MUTABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const UNEXPECTED = 'payment_intent_unexpected_state';

// `allowed_payment_method_types` is the API's name since the SDK's API version; `payment_method_types` (older
// versions, and what most docs show) is accepted as an alias.
const TYPES: Spec = {
  allowed_payment_method_types: 'strings',
  payment_method_types: 'strings',
  excluded_payment_method_types: 'strings',
};
const PI_CREATE: Spec = {
  ...TYPES,
  amount: 'int',
  currency: 'string',
  payment_method: 'string',
  confirm: 'bool',
  metadata: 'metadata',
  description: 'string',
  receipt_email: 'string',
  return_url: 'string',
  capture_method: ['automatic', 'automatic_async', 'manual'],
  automatic_payment_methods: { enabled: 'bool', allow_redirects: ['always', 'never'] },
};
const PI_UPDATE: Spec = {
  ...TYPES,
  amount: 'int',
  currency: 'string',
  payment_method: 'string',
  metadata: 'metadata',
  description: 'string',
  receipt_email: 'string',
};
const PI_CONFIRM: Spec = { payment_method: 'string', return_url: 'string', receipt_email: 'string' };
const PI_CANCEL: Spec = { cancellation_reason: ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] };
const REFUND_CREATE: Spec = {
  payment_intent: 'string',
  charge: 'string',
  amount: 'int',
  reason: ['duplicate', 'fraudulent', 'requested_by_customer'],
  metadata: 'metadata',
};
const PAGE: Spec = { limit: 'int', starting_after: 'string', ending_before: 'string' };

export function createResources(o: { apiVersion: string; baseUrl: () => string; onEvent: (e: StripeEvent) => void }) {
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

  // ---- payment methods ----------------------------------------------------------------------------------
  /** A `pm_card_*` token becomes a fresh PaymentMethod (as Stripe does); ids made that way are accepted later. */
  function resolveMethod(id: string, param: string): string {
    if (methods.has(id)) return id;
    const card = TEST_CARDS[id];
    if (!card) throw missing('PaymentMethod', id, param, 400);
    const pm = newId('pm');
    const year = new Date().getUTCFullYear() + 3;
    methods.set(pm, {
      card,
      obj: {
        id: pm,
        object: 'payment_method',
        allow_redisplay: 'unspecified',
        billing_details: {
          address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
          email: null,
          name: null,
          phone: null,
        },
        card: {
          brand: card.brand,
          checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
          country: 'US',
          display_brand: card.brand,
          exp_month: 12,
          exp_year: year,
          fingerprint: randomToken(16),
          funding: 'credit',
          generated_from: null,
          last4: card.last4,
          networks: { available: [card.brand], preferred: null },
          three_d_secure_usage: { supported: true },
          wallet: null,
        },
        created: now(),
        customer: null,
        customer_account: null,
        livemode: false,
        metadata: {},
        type: 'card',
      },
    });
    return pm;
  }

  // ---- payment intents ----------------------------------------------------------------------------------
  /** The explicit payment method type list (either name), card only. */
  function paymentMethodTypes(p: Params): string[] {
    const allowed = list(p, 'allowed_payment_method_types'),
      legacy = list(p, 'payment_method_types');
    if (allowed.length && legacy.length)
      throw invalid(
        'You may only specify one of these parameters: allowed_payment_method_types, payment_method_types.',
        'payment_method_types',
      );
    const param = allowed.length ? 'allowed_payment_method_types' : 'payment_method_types';
    for (const t of allowed.length ? allowed : legacy)
      if (t !== 'card')
        throw invalid(`The payment method type provided: ${t} is invalid. stripe-local only supports card.`, param);
    return allowed.length ? allowed : legacy;
  }
  const getIntent = (id: string) =>
    intents.get(id) ??
    (() => {
      throw missing('payment_intent', id, 'intent');
    })();

  function makeCharge(pi: PaymentIntent, ok: boolean): Charge {
    const m = methods.get(pi.payment_method!)!;
    const card = m.obj.card as Obj;
    const [code, declineCode, message] = m.card.decline ?? [null, null, null];
    const ch: Charge = {
      id: newId('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: ok ? pi.amount : 0,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: null,
      billing_details: m.obj.billing_details,
      calculated_statement_descriptor: 'STRIPE-LOCAL',
      captured: ok,
      created: now(),
      currency: pi.currency,
      customer: null,
      description: pi.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: code,
      failure_message: message,
      fraud_details: {},
      livemode: false,
      metadata: { ...pi.metadata },
      on_behalf_of: null,
      outcome: ok
        ? {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'approved_by_network',
            reason: null,
            risk_level: 'normal',
            risk_score: 20,
            seller_message: 'Payment complete.',
            type: 'authorized',
          }
        : {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'declined_by_network',
            reason: declineCode,
            risk_level: 'normal',
            risk_score: 20,
            seller_message: 'The bank did not return any further details with this decline.',
            type: 'issuer_declined',
          },
      paid: ok,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      payment_method_details: {
        card: {
          amount_authorized: ok ? pi.amount : null,
          brand: card.brand,
          checks: card.checks,
          country: card.country,
          exp_month: card.exp_month,
          exp_year: card.exp_year,
          fingerprint: card.fingerprint,
          funding: card.funding,
          last4: card.last4,
          network: card.brand,
          three_d_secure: null,
          wallet: null,
        },
        type: 'card',
      },
      receipt_email: pi.receipt_email,
      receipt_number: null,
      receipt_url: null,
      refunded: false,
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: ok ? 'succeeded' : 'failed',
      transfer_data: null,
      transfer_group: null,
    };
    charges.set(ch.id, ch);
    return ch;
  }

  function succeed(pi: PaymentIntent, ctx: Ctx): void {
    const ch = makeCharge(pi, true);
    Object.assign(pi, {
      status: 'succeeded',
      amount_received: pi.amount,
      latest_charge: ch.id,
      last_payment_error: null,
      next_action: null,
    });
    emit('charge.succeeded', ch, ctx);
    emit('payment_intent.succeeded', pi, ctx);
  }

  /** After a decline or failed authentication: back to requires_payment_method, PaymentMethod detached. */
  function fail(pi: PaymentIntent, ctx: Ctx, lastError: Obj): void {
    Object.assign(pi, {
      status: 'requires_payment_method',
      payment_method: null,
      next_action: null,
      last_payment_error: lastError,
    });
    emit('payment_intent.payment_failed', pi, ctx);
  }

  /** Checks made before a confirmation changes anything (parameters, state, PaymentMethod, return_url). */
  function precheckConfirm(
    pi: PaymentIntent | null,
    pmId: string | null,
    returnUrl: string | undefined,
    apm: PaymentIntent['automatic_payment_methods'],
  ): void {
    const snap = pi ? { payment_intent: clone(pi) } : {};
    if (pi?.status === 'succeeded')
      throw stateError(
        'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
        UNEXPECTED,
        snap,
      );
    if (pi?.status === 'canceled')
      throw stateError(
        'You cannot confirm this PaymentIntent because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be confirmed: requires_payment_method, requires_confirmation, requires_action.',
        UNEXPECTED,
        snap,
      );
    if (!pmId)
      throw invalid(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        undefined,
        UNEXPECTED,
        snap,
      );
    if (apm?.enabled && apm.allow_redirects !== 'never' && !returnUrl && !(pi && returnUrls.get(pi.id))) {
      throw invalid(
        'This PaymentIntent is configured to accept payment methods enabled in your Dashboard, because `automatic_payment_methods` is enabled. Some of these payment methods may redirect your customer to an external site or app to authorize the payment, so you must provide a `return_url` when confirming this PaymentIntent. If you would like to disable these payment methods, set `automatic_payment_methods[allow_redirects]` to `never` when creating this PaymentIntent.',
        'return_url',
      );
    }
  }

  /** Confirms with the attached PaymentMethod. A decline throws the 402 card_error (with the PaymentIntent). */
  function confirm(pi: PaymentIntent, ctx: Ctx, returnUrl: string | undefined): void {
    if (returnUrl !== undefined) returnUrls.set(pi.id, returnUrl || null);
    const m = methods.get(pi.payment_method!)!;
    if (m.card.action) {
      Object.assign(pi, {
        status: 'requires_action',
        last_payment_error: null,
        next_action: {
          type: 'redirect_to_url',
          redirect_to_url: {
            return_url: returnUrls.get(pi.id) ?? null,
            url: `${o.baseUrl()}/_local/authenticate/${pi.id}`,
          },
        },
      });
      emit('payment_intent.requires_action', pi, ctx);
      return;
    }
    if (!m.card.decline) return succeed(pi, ctx);
    const [code, declineCode, message] = m.card.decline;
    const ch = makeCharge(pi, false);
    pi.latest_charge = ch.id;
    emit('charge.failed', ch, ctx);
    const lastError = {
      charge: ch.id,
      code,
      decline_code: declineCode,
      doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
      message,
      payment_method: clone(m.obj),
      type: 'card_error',
    };
    fail(pi, ctx, lastError);
    throw cardError(code, declineCode, message, {
      charge: ch.id,
      payment_intent: clone(pi),
      payment_method: clone(m.obj),
    });
  }

  function createIntent(p: Params, ctx: Ctx): Obj {
    check(p, PI_CREATE);
    const expand = expansions(p, 'payment_intent');
    const cur = currency(p, true)!;
    const amount = chargeAmount(p, cur, true)!;
    if (p.capture_method === 'manual')
      throw invalid('stripe-local only supports capture_method=automatic.', 'capture_method');
    const doConfirm = bool(p, 'confirm') ?? false;
    const returnUrl = str(p, 'return_url');
    if (returnUrl !== undefined && !doConfirm)
      throw invalid(
        'The parameter return_url cannot be passed when creating a PaymentIntent unless confirm is set to true.',
        'return_url',
      );
    const types = paymentMethodTypes(p);
    const apmParam = (typeof p.automatic_payment_methods === 'object' ? p.automatic_payment_methods : {}) as Params;
    if (types.length && apmParam.enabled === 'true')
      throw invalid(
        'You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.',
        'automatic_payment_methods',
      );
    const apm =
      types.length || apmParam.enabled === 'false'
        ? null
        : { allow_redirects: str(apmParam, 'allow_redirects') || 'always', enabled: true };
    const pm = str(p, 'payment_method') ? resolveMethod(str(p, 'payment_method')!, 'payment_method') : null;
    if (doConfirm) precheckConfirm(null, pm, returnUrl, apm);
    const id = newId('pi');
    const pi: PaymentIntent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      allowed_payment_method_types: types.length ? types : null,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: apm,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: str(p, 'capture_method') || 'automatic',
      client_secret: `${id}_secret_${randomToken(25)}`,
      confirmation_method: 'automatic',
      created: now(),
      currency: cur,
      customer: null,
      customer_account: null,
      description: nullable(p, 'description') ?? null,
      excluded_payment_method_types: list(p, 'excluded_payment_method_types').length
        ? list(p, 'excluded_payment_method_types')
        : null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata: mergeMetadata({}, p.metadata),
      next_action: null,
      on_behalf_of: null,
      payment_method: pm,
      payment_method_configuration_details: null,
      payment_method_options: {
        card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
      },
      payment_method_types: types.length ? types : ['card'],
      payment_record: null,
      processing: null,
      receipt_email: nullable(p, 'receipt_email') ?? null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: pm ? 'requires_confirmation' : 'requires_payment_method',
      transfer_data: null,
      transfer_group: null,
    };
    intents.set(id, pi);
    emit('payment_intent.created', pi, ctx);
    if (doConfirm) confirm(pi, ctx, returnUrl);
    return render(pi, 'payment_intent', expand);
  }

  function updateIntent(p: Params, _ctx: Ctx, id: string): Obj {
    check(p, PI_UPDATE);
    const expand = expansions(p, 'payment_intent');
    const pi = getIntent(id);
    const snap = { payment_intent: clone(pi) };
    if (pi.status === 'canceled')
      throw stateError('You cannot update this PaymentIntent because it has a status of canceled.', UNEXPECTED, snap);
    const restricted = [
      'amount',
      'currency',
      'payment_method',
      'allowed_payment_method_types',
      'payment_method_types',
    ].filter((k) => p[k] !== undefined);
    if (restricted.length && !MUTABLE.includes(pi.status)) {
      const f = restricted[0];
      throw stateError(
        `This PaymentIntent's ${f} could not be updated because it has a status of ${pi.status}. You may only update the ${f} of a PaymentIntent with one of the following statuses: ${MUTABLE.join(', ')}.`,
        UNEXPECTED,
        snap,
        f,
      );
    }
    const cur = currency(p, false) ?? pi.currency;
    const amount = chargeAmount(p, cur, false);
    const types = paymentMethodTypes(p);
    const pm = str(p, 'payment_method') ? resolveMethod(str(p, 'payment_method')!, 'payment_method') : undefined;
    if (restricted.length && pi.status === 'requires_action')
      Object.assign(pi, { status: 'requires_confirmation', next_action: null });
    if (pm) Object.assign(pi, { payment_method: pm, status: 'requires_confirmation' });
    if (amount !== undefined) pi.amount = amount;
    pi.currency = cur;
    if (types.length)
      Object.assign(pi, {
        allowed_payment_method_types: types,
        payment_method_types: types,
        automatic_payment_methods: null,
      });
    if (p.excluded_payment_method_types !== undefined)
      pi.excluded_payment_method_types = list(p, 'excluded_payment_method_types').length
        ? list(p, 'excluded_payment_method_types')
        : null;
    pi.metadata = mergeMetadata(pi.metadata, p.metadata);
    if (p.description !== undefined) pi.description = nullable(p, 'description')!;
    if (p.receipt_email !== undefined) pi.receipt_email = nullable(p, 'receipt_email')!;
    return render(pi, 'payment_intent', expand);
  }

  function confirmIntent(p: Params, ctx: Ctx, id: string): Obj {
    check(p, PI_CONFIRM);
    const expand = expansions(p, 'payment_intent');
    const pi = getIntent(id);
    const pm = str(p, 'payment_method')
      ? resolveMethod(str(p, 'payment_method')!, 'payment_method')
      : pi.payment_method;
    precheckConfirm(pi, pm, str(p, 'return_url'), pi.automatic_payment_methods);
    pi.payment_method = pm;
    if (p.receipt_email !== undefined) pi.receipt_email = nullable(p, 'receipt_email')!;
    confirm(pi, ctx, str(p, 'return_url'));
    return render(pi, 'payment_intent', expand);
  }

  function cancelIntent(p: Params, ctx: Ctx, id: string): Obj {
    check(p, PI_CANCEL);
    const expand = expansions(p, 'payment_intent');
    const pi = getIntent(id);
    if (!MUTABLE.includes(pi.status)) {
      throw stateError(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        UNEXPECTED,
        { payment_intent: clone(pi) },
      );
    }
    Object.assign(pi, {
      status: 'canceled',
      canceled_at: now(),
      cancellation_reason: str(p, 'cancellation_reason') || null,
      next_action: null,
    });
    emit('payment_intent.canceled', pi, ctx);
    return render(pi, 'payment_intent', expand);
  }

  /** Completes a `requires_action` PaymentIntent (the 3-D Secure page): outcome succeed or fail. */
  function authenticate(id: string, outcome: 'succeed' | 'fail'): { intent: Obj; returnUrl: string | null } {
    const pi = getIntent(id);
    if (pi.status !== 'requires_action')
      throw stateError(`PaymentIntent ${id} is not awaiting authentication (status: ${pi.status}).`, UNEXPECTED, {
        payment_intent: clone(pi),
      });
    const ctx: Ctx = { requestId: null, idempotencyKey: null };
    if (outcome === 'succeed') succeed(pi, ctx);
    else {
      const m = methods.get(pi.payment_method!)!;
      fail(pi, ctx, {
        code: 'payment_intent_authentication_failure',
        doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
        message:
          'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
        payment_method: clone(m.obj),
        type: 'invalid_request_error',
      });
    }
    return { intent: clone(pi), returnUrl: returnUrls.get(id) ?? null };
  }

  // ---- refunds ------------------------------------------------------------------------------------------
  function createRefund(p: Params, ctx: Ctx): Obj {
    check(p, REFUND_CREATE);
    const expand = expansions(p, 'refund');
    const piId = str(p, 'payment_intent'),
      chId = str(p, 'charge');
    if (!piId && !chId)
      throw invalid('One of the following params should be provided for this request: payment_intent or charge.');
    let ch: Charge | undefined;
    if (piId) {
      const pi = intents.get(piId);
      if (!pi) throw missing('payment_intent', piId, 'payment_intent', 400);
      if (pi.status !== 'succeeded')
        throw stateError(
          `This PaymentIntent (${piId}) does not have a successful charge to refund.`,
          undefined,
          {},
          'payment_intent',
        );
      ch = charges.get(pi.latest_charge!)!;
    }
    if (chId) {
      const c = charges.get(chId);
      if (!c) throw missing('charge', chId, 'charge', 400);
      if (ch && ch.id !== c.id) throw invalid(`Charge ${chId} does not belong to PaymentIntent ${piId}.`, 'charge');
      if (c.status !== 'succeeded')
        throw stateError(`Charge ${chId} has not succeeded and cannot be refunded.`, undefined, {}, 'charge');
      ch = c;
    }
    const charge = ch!;
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0)
      throw stateError(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded', {
        charge: charge.id,
      });
    const amount = int(p, 'amount') ?? remaining;
    if (!Number.isSafeInteger(amount) || amount < 1) throw invalid('Invalid positive integer', 'amount');
    if (amount > remaining) {
      throw stateError(
        `Refund amount (${formatMoney(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatMoney(remaining, charge.currency)})`,
        'amount_too_large',
        {},
        'amount',
      );
    }
    const re = {
      id: newId('re'),
      object: 'refund',
      amount,
      balance_transaction: null,
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      customer: null,
      customer_account: null,
      destination_details: {
        card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
        type: 'card',
      },
      metadata: mergeMetadata({}, p.metadata),
      payment_intent: charge.payment_intent,
      payment_method: charge.payment_method,
      reason: str(p, 'reason') || null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    refunds.set(re.id, re);
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    emit('refund.created', re, ctx);
    emit('charge.refunded', charge, ctx, previous);
    return render(re, 'refund', expand);
  }

  // ---- routing ------------------------------------------------------------------------------------------
  type Handler = (p: Params, ctx: Ctx, id: string) => Obj;
  const get =
    <T extends Obj>(map: Map<string, T>, kind: string, name: string, param = 'id', spec: Spec = {}): Handler =>
    (p, _ctx, id) => {
      check(p, spec);
      const expand = expansions(p, kind);
      const obj = map.get(id);
      if (!obj) throw missing(name, id, param);
      return render(obj, kind, expand);
    };
  const routes: [string, RegExp, Handler][] = [
    ['POST', /^\/v1\/payment_intents$/, createIntent],
    [
      'GET',
      /^\/v1\/payment_intents$/,
      (p) => {
        check(p, PAGE);
        return page([...intents.values()].reverse(), p, '/v1/payment_intents', 'payment_intent', 'payment_intent');
      },
    ],
    [
      'GET',
      /^\/v1\/payment_intents\/([^/]+)$/,
      get(intents, 'payment_intent', 'payment_intent', 'intent', { client_secret: 'string' }),
    ],
    ['POST', /^\/v1\/payment_intents\/([^/]+)$/, updateIntent],
    ['POST', /^\/v1\/payment_intents\/([^/]+)\/confirm$/, confirmIntent],
    ['POST', /^\/v1\/payment_intents\/([^/]+)\/cancel$/, cancelIntent],
    ['POST', /^\/v1\/refunds$/, createRefund],
    ['GET', /^\/v1\/refunds\/([^/]+)$/, get(refunds, 'refund', 'refund')],
    ['GET', /^\/v1\/charges\/([^/]+)$/, get(charges, 'charge', 'charge')],
    [
      'GET',
      /^\/v1\/payment_methods\/([^/]+)$/,
      (p, _ctx, id) => {
        check(p, {});
        const m = methods.get(id);
        if (!m) throw missing('PaymentMethod', id, 'payment_method');
        return clone(m.obj);
      },
    ],
    [
      'GET',
      /^\/v1\/events$/,
      (p) => {
        check(p, { ...PAGE, type: 'string', types: 'strings' });
        const types = str(p, 'type') ? [str(p, 'type')!] : list(p, 'types');
        const match = (t: string) =>
          !types.length || types.some((x) => (x.endsWith('*') ? t.startsWith(x.slice(0, -1)) : t === x));
        return page(
          events.filter((e) => match(e.type)).reverse() as unknown as Obj[] as (Obj & { id: string })[],
          p,
          '/v1/events',
          'event',
          'event',
        );
      },
    ],
    ['GET', /^\/v1\/events\/([^/]+)$/, get(eventsById as unknown as Map<string, Obj>, 'event', 'event')],
  ];

  return {
    /** The handler for a method + path, or null (-> 404 Unrecognized request URL). */
    route(method: string, path: string): ((p: Params, ctx: Ctx) => Obj) | null {
      for (const [m, re, h] of routes) {
        const match = re.exec(path);
        if (match && m === method) return (p, ctx) => h(p, ctx, decodeURIComponent(match[1] ?? ''));
      }
      return null;
    },
    authenticate,
    markDelivered(eventId: string): void {
      const e = eventsById.get(eventId);
      if (e) e.pending_webhooks = 0;
    },
  };
}
