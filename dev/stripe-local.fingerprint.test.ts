// The local Stripe gives a card the same `card.fingerprint` every time it is used, as Stripe does (per account):
// the storefront's per-customer caps recognize a card across fresh guest identities by it (issue 11, finding 2).
import { describe, expect, it } from 'vitest';
import { card, client, start, stopAllAfterTests } from './stripe-local.test-helpers';

stopAllAfterTests();

describe('stripe-local card fingerprints', () => {
  it('are stable per test card across PaymentMethods, and differ between cards', async () => {
    const stripe = client(await start());
    const fingerprintOfNewIntent = async (pm: string) => {
      const pi = await stripe.paymentIntents.create(card(pm, { confirm: true }));
      const method = await stripe.paymentMethods.retrieve(pi.payment_method as string);
      const charge = await stripe.charges.retrieve(pi.latest_charge as string);
      expect(charge.payment_method_details?.card?.fingerprint).toBe(method.card!.fingerprint);
      return { id: method.id, fingerprint: method.card!.fingerprint! };
    };
    const [a, b, other] = [
      await fingerprintOfNewIntent('pm_card_visa'),
      await fingerprintOfNewIntent('pm_card_visa'),
      await fingerprintOfNewIntent('pm_card_mastercard'),
    ];
    expect(a.id).not.toBe(b.id); // a new PaymentMethod each time, as Stripe makes one per test token use
    expect(a.fingerprint).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(other.fingerprint).not.toBe(a.fingerprint);
    // Another server (another process, another day): the same card, the same fingerprint.
    const again = client(await start());
    const pi = await again.paymentIntents.create(card('pm_card_visa', { confirm: true }));
    expect((await again.paymentMethods.retrieve(pi.payment_method as string)).card!.fingerprint).toBe(a.fingerprint);
  });

  it('answers a retrieve of a test token as Stripe does in test mode: a new PaymentMethod of that card', async () => {
    const stripe = client(await start());
    const pi = await stripe.paymentIntents.create(card('pm_card_visa', { confirm: true }));
    const used = await stripe.paymentMethods.retrieve(pi.payment_method as string);
    const looked = await stripe.paymentMethods.retrieve('pm_card_visa');
    expect(looked.id).toMatch(/^pm_/);
    expect(looked.id).not.toBe('pm_card_visa');
    expect(looked.card!.fingerprint).toBe(used.card!.fingerprint);
    for (const id of ['pm_card_doesNotExist', 'pm_nope'])
      await expect(stripe.paymentMethods.retrieve(id)).rejects.toMatchObject({
        type: 'StripeInvalidRequestError',
        code: 'resource_missing',
      });
  });
});
