/** @jsxImportSource hono/jsx */
// Small pieces the cart, checkout and order pages share: a refusal shown next to a form, a cart line's title split
// into product and variant, the status of an order in words, and an API call's answer as a page uses it.
import type { Child } from 'hono/jsx';
import type { Schemas } from '../../../../lib/client';

/** A refusal next to what it refused, announced to screen readers. */
export function Problem({ id, children }: { id: string; children?: Child }) {
  return (
    <p class="error" role="alert" id={id}>
      {children}
    </p>
  );
}

/** The cart names a line "<product> — <variant>" (workers/cart): the page shows them apart. */
export function splitTitle(title: string): { product: string; variant?: string } {
  const at = title.lastIndexOf(' — ');
  return at < 0 ? { product: title } : { product: title.slice(0, at), variant: title.slice(at + 3) };
}

type Status = Schemas['Order']['status'];

/** What each order status means to the shopper. */
export const STATUS_TEXT: Record<Status, string> = {
  created: 'Being placed',
  pending_payment: 'Waiting for the payment',
  paid: 'Paid',
  fulfilled: 'Shipped',
  payment_failed: 'Payment failed',
  canceled: 'Canceled',
  expired: 'Expired: not paid in time',
  abandoned: 'Not placed',
  refunded: 'Refunded',
};

/** Statuses that may still change without the shopper: the page follows them live. */
export const pendingStatus = (s: Status) => s === 'created' || s === 'pending_payment';

/** An API call's answer as a page uses it: its data, or its status with the API's code, message and details. */
export type Answer<T> =
  | { ok: true; data: T; status: number }
  | { ok: false; status: number; message: string; code?: string; details?: unknown; retryAfter?: string };

export async function call<T>(sent: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Answer<T>> {
  try {
    const { data, error, response } = await sent;
    if (response.ok && data !== undefined) return { ok: true, data, status: response.status };
    const info = (error as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    return {
      ok: false,
      status: response.status,
      message: info?.message ?? response.statusText,
      code: info?.code,
      details: info?.details,
      retryAfter: response.headers.get('retry-after') ?? undefined,
    };
  } catch (err) {
    // No answer (the call's deadline, or the API failed to answer at all).
    return { ok: false, status: 0, message: err instanceof Error ? err.message : String(err) };
  }
}
