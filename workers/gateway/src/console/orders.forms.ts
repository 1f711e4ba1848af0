// The console's order, customer and webhook forms turned into the API's query and bodies. Only what a form cannot
// say in the API's terms is decided here (a date field is a day, an empty field is no value, a checkbox is a
// boolean, a field that is not a whole number cannot be sent as one); every rule of the API itself (ranges, what
// is refundable, a valid URL, known events) stays the API's, whose 4xx the page shows.
import type { paths, Schemas } from '../../../../lib/client';

/** The order filters of the page's query, as the API names them (dates are days, or ISO 8601 times). */
export const ORDER_FILTERS = ['status', 'from', 'to', 'email', 'sku', 'minTotal', 'maxTotal'] as const;
export const ORDER_PARAMS = [...ORDER_FILTERS, 'cursor', 'done'];

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const WHOLE = /^\d{1,10}$/;

/**
 * The API's order query from the page's: empty fields dropped; a day (what `<input type="date">` sends) is its
 * start in UTC for `from`, and the start of the next day for `to`, so "to 30 Nov" includes the 30th.
 */
export function orderQueryOf(q: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...ORDER_FILTERS, 'cursor'] as const) {
    const value = q[name]?.trim();
    if (!value) continue;
    if ((name === 'from' || name === 'to') && DAY.test(value)) {
      const start = Date.parse(`${value}T00:00:00.000Z`);
      if (Number.isNaN(start)) out[name] = value;
      else out[name] = new Date(name === 'to' ? start + 86_400_000 : start).toISOString();
    } else out[name] = value;
  }
  return out;
}

/** A field of minor units: empty is undefined (no value), digits a number, anything else a problem to show. */
export function minorUnits(name: string, raw: string | null): Parsed<number | undefined> {
  const value = raw?.trim() ?? '';
  if (value === '') return { ok: true, value: undefined };
  if (!WHOLE.test(value))
    return { ok: false, problem: `${name}: a whole number of minor units (1250 is 12.50), without a sign or point` };
  return { ok: true, value: Number(value) };
}

/**
 * The refund form: `amount` (minor units; empty: the value of the lines named, else everything left), a units
 * field per order line (`line:<SKU>`, empty or 0: none of it), `restock` (a checkbox), `reason`.
 */
export function refundBodyOf(form: URLSearchParams): Parsed<Schemas['RefundRequest']> {
  const amount = minorUnits('amount', form.get('amount'));
  if (!amount.ok) return amount;
  const lines: { sku: string; quantity: number }[] = [];
  for (const [name, raw] of form) {
    if (!name.startsWith('line:')) continue;
    const sku = name.slice(5);
    const units = minorUnits(`units of ${sku}`, raw);
    if (!units.ok) return { ok: false, problem: `units of ${sku}: a whole number` };
    if (units.value) lines.push({ sku, quantity: units.value });
  }
  const reason = form.get('reason')?.trim();
  const body: Schemas['RefundRequest'] = {};
  if (amount.value !== undefined) body.amount = amount.value;
  if (lines.length) body.lines = lines;
  if (form.get('restock') === 'on') body.restock = true;
  if (reason) body.reason = reason;
  return { ok: true, value: body };
}

/** The fulfil form: carrier and tracking number, as typed (the API trims and checks them). */
export function fulfilBodyOf(form: URLSearchParams): Schemas['FulfilRequest'] {
  return { carrier: form.get('carrier') ?? '', trackingNumber: form.get('trackingNumber') ?? '' };
}

/** The cancel form: an optional reason. */
export function cancelBodyOf(form: URLSearchParams): Schemas['CancelRequest'] {
  const reason = form.get('reason')?.trim();
  return reason ? { reason } : {};
}

type WebhookCreate = paths['/v1/admin/webhooks']['post']['requestBody']['content']['application/json'];

/** The new-endpoint form: `url`, one checkbox `events` per event ticked, `description` (empty: none). */
export function webhookCreateOf(form: URLSearchParams): WebhookCreate {
  const description = form.get('description')?.trim();
  return {
    url: (form.get('url') ?? '').trim(),
    events: form.getAll('events') as WebhookCreate['events'],
    ...(description ? { description } : {}),
  };
}

/** An Idempotency-Key the form carries back (a UUID the page made); anything else is not one of ours. */
export const formKey = (form: URLSearchParams): string | undefined => {
  const key = form.get('key') ?? '';
  return /^[0-9a-f-]{36}$/.test(key) ? key : undefined;
};
