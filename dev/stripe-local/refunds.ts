// dev/stripe-local/refunds.ts — Refunds of a succeeded PaymentIntent or Charge, whole or in parts, never past
// what is left; each one emits refund.created and charge.refunded. A disputed charge cannot be refunded
// (`charge_disputed`, as at Stripe) until its dispute is won: disputes are opened and closed by a test control
// (POST /_local/disputes/<payment intent>), emitting charge.dispute.created and charge.dispute.closed.
import {
  check,
  formatMoney,
  int,
  invalid,
  mergeMetadata,
  missing,
  type Params,
  type Spec,
  stateError,
  str,
} from './params';
import { type Charge, type Ctx, clone, newId, now, type Obj, type Store } from './store';

const REFUND_CREATE: Spec = {
  payment_intent: 'string',
  charge: 'string',
  amount: 'int',
  reason: ['duplicate', 'fraudulent', 'requested_by_customer'],
  metadata: 'metadata',
};
export function createRefunds({ intents, charges, refunds, emit, expansions, render }: Store) {
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
    if (disputes.get(charge.id)?.status === 'needs_response' || disputes.get(charge.id)?.status === 'lost')
      throw stateError(`Charge ${charge.id} has been charged back; cannot issue a refund.`, 'charge_disputed', {
        charge: charge.id,
      });
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

  /** Disputes by charge id: one per charge, opened by the test control, then won or lost. */
  const disputes = new Map<string, Obj & { id: string; status: string }>();

  /** Test control: the PaymentIntent's charge is disputed (`needs_response`), or its dispute closes won or lost. */
  function dispute(piId: string, status: 'needs_response' | 'won' | 'lost', ctx: Ctx): Obj {
    const pi = intents.get(piId);
    if (!pi) throw missing('payment_intent', piId, 'payment_intent');
    const charge = pi.latest_charge ? charges.get(pi.latest_charge) : undefined;
    if (charge?.status !== 'succeeded')
      throw stateError(`This PaymentIntent (${piId}) has no successful charge to dispute.`);
    let dp = disputes.get(charge.id);
    if (status === 'needs_response') {
      if (dp && dp.status === 'needs_response') return clone(dp);
      dp = {
        id: newId('dp'),
        object: 'dispute',
        amount: charge.amount - charge.amount_refunded,
        charge: charge.id,
        created: now(),
        currency: charge.currency,
        is_charge_refundable: false,
        livemode: false,
        metadata: {},
        payment_intent: pi.id,
        reason: 'fraudulent',
        status,
      };
      disputes.set(charge.id, dp);
      charge.disputed = true;
      emit('charge.dispute.created', dp, ctx);
      return clone(dp);
    }
    if (dp?.status !== 'needs_response') throw stateError(`Charge ${charge.id} has no open dispute.`);
    dp.status = status;
    emit('charge.dispute.closed', dp, ctx, { status: 'needs_response' });
    return clone(dp);
  }

  return { createRefund, dispute };
}
