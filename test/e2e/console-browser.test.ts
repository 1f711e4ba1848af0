// The console in a real browser: Debian's Chromium (apt-get install chromium; .ci/run installs it) driven by
// playwright-core, against the running stack. The admin signs in through the form, opens the ops page, real
// traffic goes through the API meanwhile, and the figures on the page move without a reload (the page's own script
// swaps the live region). A shopper is refused, a merchant gets 403 on the ops page, a POST without the CSRF token
// is refused and changes nothing, and signing out clears the session. Screenshots go to .data/artifacts/console/.
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, browserForFile } from './console-browser-kit';
import { ACCESS, REFRESH, SID } from './console-helpers';
import { adminPatch, client, devAccounts, eventually, freshIp, gateway, insertProduct, ok } from './helpers';
import { newEmail, PASSWORD } from './identity-helpers';

/** Every browser wait is bounded by this (a hung page fails the test, never the run). */
const WAIT_MS = 15_000;

const files = browserForFile();

/** A browser context of its own (cookies apart), from its own client address (rate limits count per address). */
async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await files.browser.newContext({
    baseURL: gateway(),
    extraHTTPHeaders: { 'cf-connecting-ip': freshIp() },
    viewport: { width: 1280, height: 1000 },
  });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  return { context, page: await context.newPage() };
}

/** Signs in through the form and waits for the page it leads to (`to`: a path; the sign-in form when refused). */
async function signIn(page: Page, email: string, password: string, to: string) {
  await page.goto('/admin/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  // A refusal answers the POST in place (same URL): wait for that answer, not for a URL already matched.
  const arrived =
    to === '/admin/sign-in'
      ? page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === to)
      : page.waitForURL((u) => u.pathname === to);
  await Promise.all([arrived, page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.waitForLoadState('load');
}

/** The requests of `route` in the busiest routes table of the ops page (0 when it is not listed). */
async function routeRequests(page: Page, route: string): Promise<number> {
  const cell = page
    .locator('table:has(caption:text-is("Routes (busiest 25)")) tbody tr')
    .filter({ has: page.locator(`th:text-is("${route}")`) })
    .locator('td')
    .first();
  if ((await cell.count()) === 0) return 0;
  return Number(((await cell.textContent()) ?? '').replaceAll(',', ''));
}

const account = (role: 'admin' | 'merchant') => devAccounts().find((a) => a.role === role)!;
const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

describe('console in Chromium', () => {
  it('the ops page: sign in, figures move live during traffic, CSRF refusal, sign out', {
    timeout: 120_000,
  }, async () => {
    const { context, page } = await newContext();
    try {
      const refusedScripts: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') refusedScripts.push(m.text());
      });
      // No session: the ops page sends the browser to the sign-in form.
      await page.goto('/admin/ops');
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
      await shot(page, 'sign-in');

      const admin = account('admin');
      await signIn(page, admin.email, admin.password, '/admin/ops');
      expect(new URL(page.url()).pathname).toBe('/admin/ops');
      await expect.poll(() => page.locator('h1').textContent()).toBe('Ops');

      // Chromium kept the Secure cookies over http://127.0.0.1 (a secure context), HttpOnly, SameSite=Strict.
      const cookies = await context.cookies();
      for (const name of [ACCESS, REFRESH, SID]) {
        const c = cookies.find((x) => x.name === name);
        expect(c, name).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
      }
      expect(await page.evaluate(() => document.cookie)).toBe('');

      // The live script is running (it adds the pause button); mark the document to prove no reload happens.
      await page.locator('#live-toggle').waitFor();
      await page.evaluate(() => {
        (window as unknown as { consoleMarker: number }).consoleMarker = 42;
      });
      const before = await routeRequests(page, 'GET /v1/products');
      const firstUpdate = await page.locator('#ops-live').getAttribute('data-updated');

      // Real traffic through the API, from a shopper's client: the products row counts it (the console's own
      // polling is not in the figures, and never on this route).
      const shopper = client();
      for (let i = 0; i < 25; i++)
        await ok('list', shopper.GET('/v1/products', { params: { query: { limit: 2, category: 'kitchen' } } }));

      await expect
        .poll(() => routeRequests(page, 'GET /v1/products'), { timeout: 30_000, interval: 500 })
        .toBeGreaterThanOrEqual(before + 25);
      expect(await page.locator('#ops-live th:text-matches("^GET /admin")').count()).toBe(0);
      expect(await page.locator('#ops-live').getAttribute('data-updated')).not.toBe(firstUpdate);
      expect(await page.evaluate(() => (window as unknown as { consoleMarker?: number }).consoleMarker)).toBe(42);
      // Charts are drawn and each has its data table; the headline figures are there.
      expect(
        await page.locator('#chart-requests svg[role="img"] polyline, #chart-requests svg circle').count(),
      ).toBeGreaterThan(0);
      expect(await page.locator('#chart-requests table tbody tr').count()).toBeGreaterThan(0);
      for (const name of ['p50', 'p95', 'p99', 'orders-accepted', 'dead-letters', 'queue-copies'])
        await expect.poll(() => page.locator(`[data-figure="${name}"]`).count()).toBe(1);
      expect(refusedScripts.filter((t) => /Content Security Policy/i.test(t))).toEqual([]);
      await shot(page, 'ops');

      // A keyboard reader inside the live region keeps the focus: the update waits (the status says so).
      expect(await page.locator('#ops-live-status').getAttribute('role')).toBe('status');
      const summary = page.locator('#ops-live details > summary').first();
      await summary.focus();
      await expect
        .poll(() => page.locator('#ops-live-status').textContent(), { timeout: 20_000, interval: 250 })
        .toContain('held while the focus is in the figures');
      expect(await page.evaluate(() => document.getElementById('ops-live')!.contains(document.activeElement))).toBe(
        true,
      );
      await page.locator('#live-toggle').focus();

      // A POST without the CSRF token, from the page itself (same origin, with its cookies): refused, no change.
      const status = await page.evaluate(async () => {
        const res = await fetch('/admin/sign-out', {
          method: 'POST',
          body: new URLSearchParams({ csrf: 'x' }),
          credentials: 'same-origin',
          redirect: 'manual',
        });
        return res.status;
      });
      expect(status).toBe(403);
      expect((await context.cookies()).some((c) => c.name === ACCESS)).toBe(true);
      expect((await page.reload())?.status()).toBe(200);

      // Sign out from the header's button: cookies gone, the ops page is closed again.
      await Promise.all([page.waitForURL('**/admin/sign-in'), page.getByRole('button', { name: 'Sign out' }).click()]);
      const left = (await context.cookies()).map((c) => c.name);
      expect(left).not.toContain(ACCESS);
      expect(left).not.toContain(REFRESH);
      await page.goto('/admin/ops');
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    } finally {
      await context.close();
    }
  });

  it("a shopper's credentials open nothing; a merchant gets 403 on the ops page", { timeout: 60_000 }, async () => {
    const email = newEmail();
    await ok('register', client().POST('/v1/auth/register', { body: { email, password: PASSWORD } }));
    const shopper = await newContext();
    try {
      await signIn(shopper.page, email, PASSWORD, '/admin/sign-in');
      expect(new URL(shopper.page.url()).pathname).toBe('/admin/sign-in');
      await expect.poll(() => shopper.page.getByRole('alert').textContent()).toContain('merchant or admin role');
      expect((await shopper.context.cookies()).map((c) => c.name)).not.toContain(ACCESS);
      await shot(shopper.page, 'shopper-refused');
    } finally {
      await shopper.context.close();
    }

    const merchant = await newContext();
    try {
      const m = account('merchant');
      await signIn(merchant.page, m.email, m.password, '/admin');
      expect(new URL(merchant.page.url()).pathname).toBe('/admin');
      const res = await merchant.page.goto('/admin/ops');
      expect(res?.status()).toBe(403);
      await expect.poll(() => merchant.page.locator('h1').textContent()).toBe('Not allowed');
      await shot(merchant.page, 'merchant-forbidden');
      // The merchant's own page: the audit log, filtered through the form, shows a write just made through the API.
      const slug = await insertProduct({ title: 'Browser audit vase' });
      const write = await adminPatch(slug, { title: 'Browser audit vase, renamed' });
      expect(write.status).toBe(200);
      await merchant.page.getByRole('link', { name: 'Audit log' }).first().click();
      await merchant.page.getByLabel('Action').fill('product.*');
      await Promise.all([
        merchant.page.waitForURL('**/admin/audit?**'),
        merchant.page.getByRole('button', { name: 'Filter' }).click(),
      ]);
      expect(new URL(merchant.page.url()).searchParams.get('action')).toBe('product.*');
      await expect.poll(() => merchant.page.locator('h1').textContent()).toBe('Audit log');
      const row = merchant.page.locator(`#audit-entries tr:has-text("${write.headers.get('x-request-id')}")`);
      expect(await row.count()).toBe(1);
      expect(await row.locator('code').first().textContent()).toBe('product.update');
      await shot(merchant.page, 'audit');
    } finally {
      await merchant.context.close();
    }
  });

  it('works without JavaScript: the page renders and has a refresh link', { timeout: 60_000 }, async () => {
    const context = await files.browser.newContext({
      baseURL: gateway(),
      javaScriptEnabled: false,
      extraHTTPHeaders: { 'cf-connecting-ip': freshIp() },
    });
    context.setDefaultTimeout(WAIT_MS);
    try {
      const page = await context.newPage();
      const admin = account('admin');
      await signIn(page, admin.email, admin.password, '/admin/ops');
      expect(new URL(page.url()).pathname).toBe('/admin/ops');
      expect(await page.locator('#live-toggle').count()).toBe(0);
      const before = await routeRequests(page, 'GET /v1/products');
      await ok('list', client().GET('/v1/products', { params: { query: { limit: 1 } } }));
      await eventually(
        'a refresh shows more requests',
        async () => {
          await page.getByRole('link', { name: 'Refresh now' }).click();
          return (await routeRequests(page, 'GET /v1/products')) > before;
        },
        20_000,
        500,
      );
    } finally {
      await context.close();
    }
  });
});
