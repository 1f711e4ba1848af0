/** @jsxImportSource hono/jsx */
// The console's order and customer pages (merchant role): the orders list with the API's filters, one order with
// its cancel, refund and fulfil forms, the customers and one customer's orders. Each page is a client of
// /v1/admin/orders and /v1/admin/customers, called in-process as the signed-in user (session.ts); each form is a
// plain POST, checked (kit.ts checkedForm), sent to the API, then a 303 back to the order, or the page again with
// the API's refusal next to the form and the values typed kept. Also mounts the webhook and dead-letter pages.
import { Hono } from 'hono';
import type { Schemas } from '../../../../lib/client';
import { CUSTOMER_PARAMS, CustomerPage, CustomersPage } from './customers.page';
import { badRequest, checkedForm, csrfOf, failedPage, html, notices, pages, queryOf, statusOf } from './kit';
import { type Part, part } from './ops.data';
import { type Action, OrderPage } from './order.page';
import {
  cancelBodyOf,
  formKey,
  fulfilBodyOf,
  ORDER_PARAMS,
  orderQueryOf,
  type Parsed,
  refundBodyOf,
} from './orders.forms';
import { OrdersPage, refusal } from './orders.page';
import { apiOf, type ConsoleApp, type ConsoleContext, requireSession } from './session';
import { webhookRoutes } from './webhooks.routes';

/** What a write just did, named by the `done` parameter of the page it redirected to. */
export const DONE: Record<string, string> = {
  refund: 'Refund made.',
  'refund-queued': 'Refund recorded: it is being sent to Stripe (if it stays, see Dead letters and stuck tasks).',
  'refund-repeat': 'This refund was already made (the form was sent twice): nothing more was refunded.',
  cancel: 'Order canceled: its payment was canceled and its stock released.',
  fulfil: 'Marked fulfilled.',
};
const noticeOf = notices(DONE);
export const doneOf = (q: Record<string, string> | undefined) => noticeOf(q?.done);

const badQuery = (c: ConsoleContext, allowed: string[]) =>
  badRequest(c, `Unknown parameter: this page takes ${allowed.length ? allowed.join(', ') : 'none'}.`);

const KEY_REUSED =
  'A refund was already made with this form (its answer may not have arrived): it is in the refunds below. ' +
  'Nothing more was refunded. To refund more, reload the page and send the new form.';

interface Shown {
  error?: { action: Action; message: string };
  values?: Record<string, string>;
  key?: string;
  status?: number;
}

/** The order page, fresh from the order's object; after a refused form, with its message and values. */
async function orderPage(c: ConsoleContext, id: string, shown: Shown = {}) {
  const session = c.get('session')!;
  const order = await part(apiOf(c, session.accessToken).GET('/v1/admin/orders/{id}', { params: { path: { id } } }));
  if (!order.ok) return failedPage(c, `Order ${id}`, order);
  const q = queryOf(c, ['done']);
  return html(
    c,
    <OrderPage
      order={order.data}
      refundKey={shown.key ?? crypto.randomUUID()}
      error={shown.error}
      values={shown.values}
      notice={shown.error ? undefined : doneOf(q)}
      session={session}
      csrf={await csrfOf(c)}
    />,
    shown.status ?? 200,
  );
}

const typedValues = (form: URLSearchParams) =>
  Object.fromEntries([...form].filter(([name]) => name !== 'csrf' && name !== 'key'));

export function orderRoutes(): Hono<ConsoleApp> {
  const r = new Hono<ConsoleApp>();
  const merchant = requireSession('merchant', pages);

  r.get('/orders', merchant, async (c) => {
    const q = queryOf(c, ORDER_PARAMS);
    if (!q) return badQuery(c, ORDER_PARAMS);
    const session = c.get('session')!;
    const query = { ...orderQueryOf(q), limit: 50 };
    const result = await part(
      apiOf(c, session.accessToken).GET('/v1/admin/orders', { params: { query: query as never } }),
    );
    return html(
      c,
      <OrdersPage query={q} result={result} notice={doneOf(q)} session={session} csrf={await csrfOf(c)} />,
      statusOf(result),
    );
  });

  r.get('/orders/:id', merchant, (c) =>
    queryOf(c, ['done']) ? orderPage(c, c.req.param('id')) : badQuery(c, ['done']),
  );

  r.post('/orders/:id/:action{cancel|refund|fulfil}', merchant, async (c) => {
    const checked = await checkedForm(c);
    if ('refusal' in checked) return checked.refusal;
    const { form } = checked;
    const id = c.req.param('id');
    const action = c.req.param('action') as Action;
    const api = apiOf(c, c.get('session')!.accessToken);
    const values = typedValues(form);
    const path = { params: { path: { id } } };
    let answer: Part<unknown>;
    let done: string = action;
    if (action === 'refund') {
      const body: Parsed<Schemas['RefundRequest']> = refundBodyOf(form);
      const key = formKey(form);
      if (!body.ok || !key) {
        const message = body.ok ? 'This form has no refund key: reload the page and send it again.' : body.problem;
        return orderPage(c, id, { error: { action, message }, values, key, status: 400 });
      }
      let status = 0;
      const sent = api.POST('/v1/admin/orders/{id}/refunds', {
        params: { path: { id }, header: { 'idempotency-key': key } },
        body: body.value,
      });
      answer = await part(
        sent.then((a) => {
          status = a.response.status;
          return a;
        }),
      );
      if (answer.ok) done = status === 200 ? 'refund-repeat' : status === 202 ? 'refund-queued' : 'refund';
      // Refused (4xx): nothing was refunded under this key, so the form gets a new one. No answer or a 5xx: the
      // refund may have been made, so the form keeps its key and sending it again cannot refund twice. A 422
      // IDEMPOTENCY_KEY_REUSED says a refund was made under this key with other values (an answer lost, then the
      // amount changed): a new key would refund a second time, so the key stays and the page says what happened.
      else if (answer.code === 'IDEMPOTENCY_KEY_REUSED')
        return orderPage(c, id, {
          error: { action, message: KEY_REUSED },
          values,
          key,
          status: answer.status,
        });
      else if (answer.status === 0 || answer.status >= 500)
        return orderPage(c, id, {
          error: { action, message: refusal('The refund', answer) },
          values,
          key,
          status: statusOf(answer),
        });
    } else if (action === 'cancel') {
      answer = await part(api.POST('/v1/admin/orders/{id}/cancel', { ...path, body: cancelBodyOf(form) }));
    } else {
      answer = await part(api.POST('/v1/admin/orders/{id}/fulfillment', { ...path, body: fulfilBodyOf(form) }));
    }
    if (!answer.ok) {
      const what = { refund: 'The refund', cancel: 'Canceling', fulfil: 'Marking it fulfilled' }[action];
      return orderPage(c, id, { error: { action, message: refusal(what, answer) }, values, status: statusOf(answer) });
    }
    return c.redirect(`/admin/orders/${encodeURIComponent(id)}?done=${done}`, 303);
  });

  r.get('/customers', merchant, async (c) => {
    const q = queryOf(c, CUSTOMER_PARAMS);
    if (!q) return badQuery(c, CUSTOMER_PARAMS);
    const session = c.get('session')!;
    const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v.trim() !== ''));
    const result = await part(
      apiOf(c, session.accessToken).GET('/v1/admin/customers', { params: { query: { ...query, limit: 50 } as never } }),
    );
    return html(
      c,
      <CustomersPage query={q} result={result} session={session} csrf={await csrfOf(c)} />,
      statusOf(result),
    );
  });

  r.get('/customers/:id', merchant, async (c) => {
    if (!queryOf(c, [])) return badQuery(c, []);
    const id = c.req.param('id');
    const session = c.get('session')!;
    const detail = await part(
      apiOf(c, session.accessToken).GET('/v1/admin/customers/{id}', { params: { path: { id } } }),
    );
    if (!detail.ok) return failedPage(c, `Customer ${id}`, detail);
    return html(c, <CustomerPage detail={detail.data} session={session} csrf={await csrfOf(c)} />);
  });

  r.route('/', webhookRoutes());
  return r;
}
