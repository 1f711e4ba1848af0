// dev/stripe-local/payment-methods.ts — Stripe's test PaymentMethod tokens (`pm_card_visa`, a declining card, one
// that asks for 3-D Secure, ...) and the PaymentMethod objects made from them.
import { createHash } from 'node:crypto';
import { missing } from './params';
import { newId, now, type Store } from './store';

/**
 * Stripe gives one card number the same `card.fingerprint` every time (per account), which is what lets a shop
 * recognize a card across fresh customer identities; here each test card has its own stable fingerprint.
 */
export const fingerprintOf = (token: string, card: TestCard) =>
  createHash('sha256')
    .update(`stripe-local-card:${token}:${card.brand}:${card.last4}`)
    .digest('base64url')
    .slice(0, 16);

/** Stripe's test PaymentMethod tokens: https://docs.stripe.com/testing#cards */
export interface TestCard {
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
export function createPaymentMethods({ methods }: Store) {
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
          fingerprint: fingerprintOf(id, card),
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

  return { resolveMethod };
}
