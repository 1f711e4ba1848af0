// dev/stripe-local/payment-intents.ts — PaymentIntents (card only, capture_method automatic): create, update,
// confirm and cancel, with Stripe's parameters, state rules and error messages. Every handler validates all of its
// parameters before changing anything.

import type { Confirmation } from './confirmation';
import {
  bool,
  chargeAmount,
  check,
  currency,
  invalid,
  list,
  mergeMetadata,
  nullable,
  type Params,
  type Spec,
  stateError,
  str,
} from './params';
import {
  type Ctx,
  clone,
  newId,
  now,
  type Obj,
  type PaymentIntent,
  randomToken,
  type Store,
  UNEXPECTED,
} from './store';

const MUTABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

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
export function createPaymentIntents(
  s: Store,
  resolveMethod: (id: string, param: string) => string,
  { precheckConfirm, confirm }: Confirmation,
) {
  const { intents, emit, expansions, render, getIntent } = s;

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

  return { createIntent, updateIntent, confirmIntent, cancelIntent };
}
