// dev/stripe-local/resources.ts — the in-memory Stripe API of dev/stripe-local.ts: which handler answers which
// method and path. The objects live apart: PaymentIntents (payment-intents.ts, confirmation.ts), Charges
// (charges.ts), Refunds (refunds.ts), test PaymentMethods (payment-methods.ts), Events and lists (store.ts).
import { createCharges } from './charges';
import { createConfirmation } from './confirmation';
import { check, list, missing, type Params, type Spec, str } from './params';
import { createPaymentIntents } from './payment-intents';
import { createPaymentMethods } from './payment-methods';
import { createRefunds } from './refunds';
import { type Ctx, clone, createStore, type Obj, type StripeEvent } from './store';

const PAGE: Spec = { limit: 'int', starting_after: 'string', ending_before: 'string' };

export function createResources(o: { apiVersion: string; baseUrl: () => string; onEvent: (e: StripeEvent) => void }) {
  const s = createStore(o);
  const { intents, charges, refunds, methods, events, eventsById, expansions, render, page } = s;
  const { resolveMethod } = createPaymentMethods(s);
  const { makeCharge } = createCharges(s);
  const confirmation = createConfirmation(s, makeCharge);
  const { createIntent, updateIntent, confirmIntent, cancelIntent } = createPaymentIntents(
    s,
    resolveMethod,
    confirmation,
  );
  const { createRefund, dispute } = createRefunds(s);

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
        // A test token (pm_card_visa) is accepted wherever a PaymentMethod id is, as at Stripe in test mode.
        const m =
          methods.get(id) ?? (id.startsWith('pm_card_') ? methods.get(resolveMethod(id, 'payment_method')) : null);
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
    authenticate: confirmation.authenticate,
    dispute,
    markDelivered(eventId: string): void {
      const e = eventsById.get(eventId);
      if (e) e.pending_webhooks = 0;
    },
  };
}
