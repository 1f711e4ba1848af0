// dev/stripe-local/charges.ts — the Charge a confirmation makes: succeeded, or failed with the test card's decline.
import { type Charge, newId, now, type Obj, type PaymentIntent, type Store } from './store';

export function createCharges({ charges, methods }: Store) {
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

  return { makeCharge };
}
