// The order half of the merchant's journey in the console, as steps a browser test can join with others (the
// catalog half is the catalog helper's): sign in, register a webhook endpoint through its form, find an order,
// refund it, see it refunded, its delivery in an endpoint's log and each write in the audit log. Each step drives
// the real pages with Playwright (labels and roles, as a keyboard or screen reader user would find them) and
// returns what it read; every wait is bounded by the context's default timeout.
import type { Page } from 'playwright-core';
import { submit } from './console-browser-kit';

/** Registers an endpoint through the webhooks page; returns its id and the secret the page shows once. */
export async function registerWebhookInConsole(page: Page, url: string, events: string[], description = '') {
  await page.goto('/admin/webhooks');
  await page.getByLabel('URL (https)').fill(url);
  if (description) await page.getByLabel('Description (optional)').fill(description);
  for (const e of events) await page.getByLabel(e, { exact: true }).check();
  await submit(page, page.getByRole('button', { name: 'Register' }));
  const secret = await page.getByLabel('Signing secret').inputValue();
  const href = await page.getByRole('link', { name: 'Its delivery log' }).getAttribute('href');
  const endpointId = href?.split('/').pop() ?? '';
  if (!/^whsec_/.test(secret) || !endpointId) throw new Error(`no secret or endpoint on ${page.url()}`);
  return { endpointId, secret };
}

/** Filters the orders list by the buyer's email and opens `orderId` from it (the copy lags about a second). */
export async function findOrderInConsole(page: Page, email: string, orderId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await page.goto('/admin/orders');
    await page.getByLabel('Email contains').fill(email);
    await submit(page, page.getByRole('button', { name: 'Filter' }));
    const link = page.locator('#orders').getByRole('link', { name: orderId });
    if ((await link.count()) === 1) {
      await submit(page, link);
      return;
    }
    if (Date.now() > deadline) throw new Error(`order ${orderId} not listed for ${email}`);
    await page.waitForTimeout(500);
  }
}

/** The order page's status and "refunded · still refundable" figures, as shown. */
export async function orderFacts(page: Page) {
  return {
    status: (await page.locator('#order-status').textContent())?.trim(),
    refunded: (await page.locator('#order-refunded').textContent())?.trim(),
    refunds: await page.locator('#order-refunds tbody tr').count(),
  };
}

/**
 * Refunds `orderId` from its console page: `amount` in minor units (none: everything left), restocking when
 * asked. Returns the page's notice, or the refusal shown next to the form.
 */
export async function refundInConsole(
  page: Page,
  orderId: string,
  opts: { amount?: number; restock?: boolean; reason?: string } = {},
): Promise<{ notice?: string; refusal?: string }> {
  if (!new URL(page.url()).pathname.endsWith(`/admin/orders/${orderId}`)) await page.goto(`/admin/orders/${orderId}`);
  const form = page.locator('#refund-form');
  await form.getByLabel('Amount (minor units, optional)').fill(opts.amount === undefined ? '' : String(opts.amount));
  if (opts.restock) await form.getByLabel('Put the refunded units back on hand').check();
  if (opts.reason) await form.getByLabel('Reason (optional, sent to the shopper)').fill(opts.reason);
  await submit(page, form.getByRole('button', { name: 'Refund' }));
  const refusal = page.locator('#refund-error');
  if ((await refusal.count()) > 0) return { refusal: (await refusal.textContent()) ?? '' };
  return { notice: (await page.locator('.notice').textContent()) ?? undefined };
}

/** Opens the endpoint's delivery log until a delivery of `eventType` for `orderId` is `state`; returns its row. */
export async function seeDeliveryInConsole(
  page: Page,
  endpointId: string,
  match: { eventType: string; orderId: string; state?: string },
) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(`/admin/webhooks/${endpointId}`);
    const row = page
      .locator('#deliveries tbody tr')
      .filter({ hasText: match.orderId })
      .filter({ has: page.locator(`td:text-is("${match.eventType}")`) })
      .filter({ has: page.locator(`td:text-is("${match.state ?? 'delivered'}")`) });
    if ((await row.count()) > 0) return (await row.first().textContent()) ?? '';
    if (Date.now() > deadline) throw new Error(`no ${match.eventType} delivery of ${match.orderId} in the log`);
    await page.waitForTimeout(500);
  }
}

/** The audit log page filtered by target (and action): each entry's action, outcome and after (JSON), newest first. */
export async function auditInConsole(page: Page, filter: { targetType: string; targetId: string; action?: string }) {
  await page.goto('/admin/audit');
  await page.getByLabel('Target type').fill(filter.targetType);
  await page.getByLabel('Target id').fill(filter.targetId);
  if (filter.action) await page.getByLabel('Action').fill(filter.action);
  await submit(page, page.getByRole('button', { name: 'Filter' }));
  const rows = page.locator('#audit-entries tbody tr');
  const out: { action: string; outcome: string; after: string }[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out.push({
      action: (await row.locator('code').first().textContent()) ?? '',
      outcome: ((await row.locator('td').nth(3).textContent()) ?? '').trim(),
      after: (await row.locator('pre').nth(1).textContent()) ?? '',
    });
  }
  return out;
}

/** Deletes the endpoint from the webhooks page (its Delete button). */
export async function deleteWebhookInConsole(page: Page, url: string) {
  await page.goto('/admin/webhooks');
  await submit(page, page.getByRole('button', { name: `Delete ${url}` }));
}
