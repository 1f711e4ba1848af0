// dev/stripe-local/confirmation.ts — confirming a PaymentIntent with its PaymentMethod: the checks made before
// anything changes, success, a decline (402 card_error), or `requires_action` until the local 3-D Secure page
// (authenticate) succeeds or fails it.
import { cardError, invalid, stateError } from './params';
import { type Charge, type Ctx, clone, type Obj, type PaymentIntent, type Store, UNEXPECTED } from './store';

export type Confirmation = ReturnType<typeof createConfirmation>;
export type AuthOutcome = 'succeed' | 'fail' | 'processing';

export function createConfirmation(s: Store, makeCharge: (pi: PaymentIntent, ok: boolean) => Charge) {
  const { methods, returnUrls, emit, getIntent } = s;

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
            url: `${s.baseUrl()}/_local/authenticate/${pi.id}`,
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

  /**
   * Completes a `requires_action` PaymentIntent (the 3-D Secure page): outcome succeed or fail, or `processing`
   * (authenticated, the payment still on its way, as Stripe reports for some cards and methods), which a later
   * succeed or fail settles.
   */
  function authenticate(id: string, outcome: AuthOutcome): { intent: Obj; returnUrl: string | null } {
    const pi = getIntent(id);
    const awaiting = pi.status === 'requires_action' || (pi.status === 'processing' && outcome !== 'processing');
    if (!awaiting)
      throw stateError(`PaymentIntent ${id} is not awaiting authentication (status: ${pi.status}).`, UNEXPECTED, {
        payment_intent: clone(pi),
      });
    const ctx: Ctx = { requestId: null, idempotencyKey: null };
    if (outcome === 'processing') {
      Object.assign(pi, { status: 'processing', next_action: null });
      emit('payment_intent.processing', pi, ctx);
    } else if (outcome === 'succeed') succeed(pi, ctx);
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

  return { precheckConfirm, confirm, authenticate };
}
