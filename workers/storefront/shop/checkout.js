// Stripe's Payment Element on the checkout page, loaded only when the gateway has a publishable key (production;
// locally the page offers the local Stripe's test payment methods and loads no script). On the checkout form
// (#checkout-form) it mounts the Payment Element in deferred mode (amount and currency from the form's data
// attributes); placing the order makes a PaymentMethod from it (stripe.createPaymentMethod) and sends its id in the
// form's paymentMethod field: the server creates and confirms the PaymentIntent (docs/checkout.md). One attempt is
// one Idempotency-Key (the form's key field) with one body: once paymentMethod is filled (by this page, or by the
// server on a page that resumes an attempt whose answer was lost or failed), sending the form again sends that same
// PaymentMethod, never a new one, so the retry resumes the attempt instead of being refused as the key reused with
// another body; after a decline the server's page has a new key and an empty paymentMethod. On the payment
// step page (#payment-step) it completes 3-D Secure with stripe.handleNextAction and the PaymentIntent's client
// secret (the one token this page's script reads, by Stripe's design), then opens the order page.
(() => {
  const say = (where, text) => {
    let p = where.querySelector('.error[data-from-script]');
    if (!p) {
      p = document.createElement('p');
      p.className = 'error';
      p.setAttribute('role', 'alert');
      p.setAttribute('data-from-script', '');
      where.prepend(p);
    }
    p.textContent = text;
  };

  const form = document.getElementById('checkout-form');
  const key = form?.getAttribute('data-publishable-key');
  if (form && key && window.Stripe) {
    const stripe = window.Stripe(key);
    const elements = stripe.elements({
      mode: 'payment',
      amount: Number(form.getAttribute('data-amount')),
      currency: form.getAttribute('data-currency'),
      paymentMethodCreation: 'manual',
    });
    elements.create('payment').mount('#payment-element');
    const paymentMethod = form.elements.namedItem('paymentMethod');
    let sending = false;
    // Back to this page from the browser's cache (the answer never came): it may be sent again, as the same attempt.
    window.addEventListener('pageshow', (event) => {
      if (event.persisted) sending = false;
    });
    form.addEventListener('submit', async (event) => {
      // "Update totals" is a plain submit: only placing the order needs a card.
      if (event.submitter?.value === 'quote') return;
      event.preventDefault();
      if (sending) return;
      sending = true;
      try {
        if (!paymentMethod.value) {
          const submitted = await elements.submit();
          if (submitted.error) throw submitted.error;
          const made = await stripe.createPaymentMethod({ elements });
          if (made.error) throw made.error;
          paymentMethod.value = made.paymentMethod.id;
        }
        // form.submit() sends no submitter: the server reads a missing intent as "pay".
        form.submit();
      } catch (err) {
        sending = false;
        say(form, err?.message || 'The card details could not be read: check them and try again.');
      }
    });
  }

  const step = document.getElementById('payment-step');
  if (step && window.Stripe) {
    const stripe = window.Stripe(step.getAttribute('data-publishable-key'));
    stripe.handleNextAction({ clientSecret: step.getAttribute('data-client-secret') }).then((result) => {
      if (result.error) say(step, result.error.message || 'The payment was not confirmed.');
      else window.location.assign(step.getAttribute('data-return'));
    });
  }
})();
