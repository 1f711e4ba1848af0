/** @jsxImportSource hono/jsx */
// The checkout page's content (/checkout): the cart in short, email, shipping address and method, the totals with
// shipping and tax for that address (the checkout's own tables, lib/checkout/pricing.ts), and payment. Without a
// Stripe publishable key (locally) payment is a choice of the local Stripe's test payment methods; with one, a
// static script mounts Stripe's Payment Element and puts the PaymentMethod it makes into the form. The form carries
// one Idempotency-Key per attempt (a new one after a refusal, the same after a 5xx or no answer, so sending it
// twice makes one order), the cart version (If-Match) and the total shown (expectedTotal): the API charges that
// total or refuses. A refusal (sold out, declined, a changed total) is shown next to the form, the values kept.

import {
  FREE_SHIPPING_FROM,
  SHIPPING_COUNTRIES,
  SHIPPING_TABLE,
  type ShippingMethod,
} from '../../../../lib/checkout/pricing';
import type { Schemas } from '../../../../lib/client';
import { money } from '../web/format';
import type { Quote } from './buy.forms';
import { Problem, splitTitle } from './buy.kit';

/** The local Stripe's (and Stripe test mode's) payment methods the page offers without a publishable key. */
export const TEST_PAYMENT_METHODS = [
  { id: 'pm_card_visa', label: 'Visa test card (succeeds)' },
  { id: 'pm_card_chargeDeclined', label: 'Test card that is declined' },
  { id: 'pm_card_authenticationRequired', label: 'Test card that asks for 3-D Secure' },
] as const;

export interface CheckoutContentProps {
  cart: Schemas['Cart'];
  quote: Quote;
  csrf: string;
  /** This attempt's Idempotency-Key. */
  attemptKey: string;
  /** The values typed (after a refusal, or an "update totals"). */
  values: Record<string, string>;
  /** Refusals by field, or `form` for the whole form, `payment` next to the payment choice. */
  problems?: Record<string, string>;
  /** With it, Stripe's Payment Element replaces the test payment methods. */
  publishableKey?: string;
  /**
   * The attempt's key was kept (its answer was lost or a 5xx): the Payment Element's form carries the payment
   * method it sent (values.paymentMethod), so sending it again resumes the attempt with the same body.
   */
  resume?: boolean;
}

/** A Stripe PaymentMethod id, as the Payment Element makes them. */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,200}$/;

const COUNTRY_NAMES: Record<string, string> = {
  US: 'United States',
  CA: 'Canada',
  GB: 'United Kingdom',
  DE: 'Germany',
  FR: 'France',
  NL: 'Netherlands',
  IE: 'Ireland',
  AU: 'Australia',
  JP: 'Japan',
  ES: 'Spain',
  IT: 'Italy',
  SE: 'Sweden',
  DK: 'Denmark',
  NO: 'Norway',
  CH: 'Switzerland',
  AT: 'Austria',
  BE: 'Belgium',
  NZ: 'New Zealand',
};

function Field(props: {
  name: string;
  label: string;
  values: Record<string, string>;
  problems?: Record<string, string>;
  type?: string;
  autocomplete: string;
  required?: boolean;
}) {
  const problem = props.problems?.[props.name];
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {!props.required && <span class="muted"> (optional)</span>}
      </label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        autocomplete={props.autocomplete}
        value={props.values[props.name] ?? ''}
        required={props.required}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? `${id}-error` : undefined}
      />
      {problem && <Problem id={`${id}-error`}>{problem}</Problem>}
    </div>
  );
}

function Summary({ cart, quote }: { cart: Schemas['Cart']; quote: Quote }) {
  const m = (amount: number) => money(amount, quote.currency);
  return (
    <section aria-labelledby="summary-title" class="summary">
      <h2 id="summary-title">Your order</h2>
      <ul class="summary-lines">
        {cart.lines
          .filter((l) => l.available)
          .map((l) => {
            const { product, variant } = splitTitle(l.title);
            return (
              <li>
                {l.quantity} × {product}
                {variant && <span class="muted"> ({variant})</span>}: {money(l.lineTotal.amount, l.lineTotal.currency)}
              </li>
            );
          })}
      </ul>
      <dl class="totals" id="checkout-totals">
        <dt>Subtotal</dt>
        <dd>{m(quote.subtotal)}</dd>
        <dt>Shipping</dt>
        <dd id="total-shipping">{quote.shipping === 0 ? 'Free' : m(quote.shipping)}</dd>
        <dt>Tax ({(quote.taxRateBps / 100).toFixed(2)} %)</dt>
        <dd id="total-tax">{m(quote.tax)}</dd>
        <dt>Total</dt>
        <dd id="total">
          <strong>{m(quote.total)}</strong>
        </dd>
      </dl>
      <p>
        <a href="/cart">Change the cart</a>
      </p>
    </section>
  );
}

function Payment(props: CheckoutContentProps) {
  const problem = props.problems?.paymentMethod ?? props.problems?.payment;
  const chosen = props.values.paymentMethod ?? TEST_PAYMENT_METHODS[0].id;
  const resumed =
    props.resume && PAYMENT_METHOD_ID.test(props.values.paymentMethod ?? '') ? props.values.paymentMethod : undefined;
  return (
    <fieldset aria-describedby={problem ? 'payment-error' : undefined}>
      <legend>Payment</legend>
      {problem && <Problem id="payment-error">{problem}</Problem>}
      {props.publishableKey ? (
        <>
          {/* checkout.js mounts Stripe's Payment Element here and fills paymentMethod before the form is sent,
              unless it is filled already: a resumed attempt sends the payment method it sent before. */}
          {resumed && (
            <p class="notice" id="payment-resumed">
              Your card details from the last try are kept: placing the order sends the same attempt again.
            </p>
          )}
          <div id="payment-element" />
          <input type="hidden" name="paymentMethod" value={resumed ?? ''} />
          <noscript>
            <p class="error">Paying by card needs JavaScript: Stripe collects the card details itself.</p>
          </noscript>
        </>
      ) : (
        <>
          <p class="muted">No card is charged: these are the local Stripe's test payment methods.</p>
          {TEST_PAYMENT_METHODS.map((pm) => (
            <div class="choice">
              <input
                type="radio"
                id={`pm-${pm.id}`}
                name="paymentMethod"
                value={pm.id}
                checked={chosen === pm.id}
                required
              />
              <label for={`pm-${pm.id}`}>{pm.label}</label>
            </div>
          ))}
        </>
      )}
    </fieldset>
  );
}

export function CheckoutContent(props: CheckoutContentProps) {
  const { values, problems, quote } = props;
  const method = (values.shippingMethod ?? 'standard') as ShippingMethod;
  const country = values.country ?? 'US';
  const f = { values, problems };
  const formProblem = problems?.form ?? problems?.key;
  return (
    <section aria-labelledby="checkout-title" id="checkout">
      <h1 id="checkout-title">Checkout</h1>
      {formProblem && <Problem id="checkout-error">{formProblem}</Problem>}
      <div class="checkout-grid">
        <Summary cart={props.cart} quote={quote} />
        <form
          method="post"
          action="/checkout"
          id="checkout-form"
          class="stack"
          aria-describedby={formProblem ? 'checkout-error' : undefined}
          data-publishable-key={props.publishableKey}
          data-amount={String(quote.total)}
          data-currency={quote.currency.toLowerCase()}
        >
          <input type="hidden" name="csrf" value={props.csrf} />
          <input type="hidden" name="key" value={props.attemptKey} />
          <input type="hidden" name="version" value={String(props.cart.version)} />
          <input type="hidden" name="expectedTotal" value={String(quote.total)} />
          <input type="hidden" name="currency" value={quote.currency} />
          <fieldset>
            <legend>Contact</legend>
            <Field {...f} name="email" label="Email" type="email" autocomplete="email" required />
          </fieldset>
          <fieldset>
            <legend>Shipping address</legend>
            <Field {...f} name="name" label="Full name" autocomplete="shipping name" required />
            <Field {...f} name="line1" label="Street address" autocomplete="shipping address-line1" required />
            <Field {...f} name="line2" label="Apartment, suite" autocomplete="shipping address-line2" />
            <Field {...f} name="city" label="City" autocomplete="shipping address-level2" required />
            <Field {...f} name="region" label="State or region" autocomplete="shipping address-level1" />
            <Field {...f} name="postalCode" label="Postal code" autocomplete="shipping postal-code" required />
            <div class="field">
              <label for="f-country">Country</label>
              <select id="f-country" name="country" autocomplete="shipping country" required>
                {SHIPPING_COUNTRIES.map((code) => (
                  <option value={code} selected={code === country}>
                    {COUNTRY_NAMES[code] ?? code}
                  </option>
                ))}
              </select>
              {problems?.country && <Problem id="f-country-error">{problems.country}</Problem>}
            </div>
            <Field {...f} name="phone" label="Phone" type="tel" autocomplete="shipping tel" />
          </fieldset>
          <fieldset>
            <legend>Shipping method</legend>
            {(['standard', 'express'] as const).map((id) => (
              <div class="choice">
                <input type="radio" id={`ship-${id}`} name="shippingMethod" value={id} checked={method === id} />
                <label for={`ship-${id}`}>
                  {id === 'standard' ? 'Standard' : 'Express'}: {money(SHIPPING_TABLE[id].domestic, quote.currency)} in
                  the US, {money(SHIPPING_TABLE[id].international, quote.currency)} abroad
                  {id === 'standard' && ` (free in the US from ${money(FREE_SHIPPING_FROM, quote.currency)})`}
                </label>
              </div>
            ))}
            <button type="submit" name="intent" value="quote" formnovalidate class="secondary">
              Update totals for this address
            </button>
          </fieldset>
          <Payment {...props} />
          <p class="muted">
            You pay {money(quote.total, quote.currency)} for {country} by {method} shipping. If the address or method
            changes the total, you are shown the new one before anything is charged.
          </p>
          <button type="submit" name="intent" value="pay" class="primary">
            Place order and pay {money(quote.total, quote.currency)}
          </button>
        </form>
      </div>
    </section>
  );
}
