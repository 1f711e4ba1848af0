// The shopper's emails as text and HTML: order confirmation, refund, shipping, and the account's links (password
// reset, email verification). Every string that comes from a
// merchant or a shopper (product titles, names, reasons, carrier, tracking number) is escaped in the HTML part;
// amounts are minor units, shown in the currency's own number of decimals.
import type { AccountEmailJob, EmailJob } from '../../../lib/contracts/notifications';
import { money } from '../../../lib/money';

export { money };

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Header lines (subject, first sentence) and the order's lines, for both parts. */
function content(job: EmailJob, shop: string): { subject: string; lead: string[]; rows: [string, string][] } {
  const o = job.order;
  const cur = o.totals.currency;
  const lines: [string, string][] = o.lines.map((l) => [
    `${l.quantity} × ${l.title} (${l.sku})`,
    money(l.lineTotal, cur),
  ]);
  switch (job.kind) {
    case 'order_confirmation':
      return {
        subject: `${shop}: your order ${o.id} is confirmed`,
        lead: [`Thank you for your order, ${o.shipTo.name}. We have received your payment.`],
        rows: [
          ...lines,
          ['Shipping', money(o.totals.shipping, cur)],
          ['Tax', money(o.totals.tax, cur)],
          ['Total paid', money(o.totals.total, cur)],
        ],
      };
    case 'refund': {
      const r = job.refund!;
      return {
        subject: `${shop}: a refund of ${money(r.amount, cur)} for order ${o.id}`,
        lead: [
          `We have refunded ${money(r.amount, cur)} of your order ${o.id} to your original payment method.`,
          ...(r.reason ? [`Reason: ${r.reason}`] : []),
          'It may take a few days to appear on your statement.',
        ],
        rows: [...lines, ['Order total', money(o.totals.total, cur)], ['Refunded now', money(r.amount, cur)]],
      };
    }
    case 'shipping': {
      const f = job.fulfillment!;
      return {
        subject: `${shop}: your order ${o.id} has shipped`,
        lead: [
          `Your order is on its way to ${o.shipTo.name}, ${o.shipTo.city}, ${o.shipTo.country}.`,
          `Carrier: ${f.carrier}`,
          `Tracking number: ${f.trackingNumber}`,
        ],
        rows: lines,
      };
    }
  }
}

export function renderEmail(job: EmailJob, shop: string): RenderedEmail {
  const { subject, lead, rows } = content(job, shop);
  const width = Math.max(...rows.map(([k]) => k.length), 10);
  const text = [
    ...lead,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    `Order ${job.order.id}`,
    `— ${shop}`,
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    ...lead.map((p) => `<p>${e(p)}</p>`),
    '<table>',
    ...rows.map(([k, v]) => `<tr><td>${e(k)}</td><td style="text-align:right">${e(v)}</td></tr>`),
    '</table>',
    `<p>Order ${e(job.order.id)}<br>— ${e(shop)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** An account link: what it is for, the link itself, until when it works, and what to do if it was not asked for. */
export function renderAccountEmail(job: AccountEmailJob, shop: string): RenderedEmail {
  const until = `${job.expiresAt.slice(0, 16).replace('T', ' ')} UTC`;
  const hello = job.name ? `Hello ${job.name},` : 'Hello,';
  const [subject, ask, action, ignore] =
    job.kind === 'password_reset'
      ? [
          `${shop}: reset your password`,
          'Someone (we hope you) asked to reset the password of your account.',
          'Choose a new password',
          'If you did not ask for it, ignore this email: your password stays as it is.',
        ]
      : [
          `${shop}: confirm your email address`,
          'Please confirm that this email address is yours.',
          'Confirm my email address',
          'If you did not create an account with us, ignore this email.',
        ];
  const used = `The link works once, until ${until}.`;
  const text = [hello, '', ask, '', `${action}: ${job.link}`, '', used, ignore, '', `— ${shop}`, ''].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${e(hello)}</p>`,
    `<p>${e(ask)}</p>`,
    `<p><a href="${e(job.link)}">${e(action)}</a></p>`,
    `<p>${e(used)} ${e(ignore)}</p>`,
    `<p>— ${e(shop)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
