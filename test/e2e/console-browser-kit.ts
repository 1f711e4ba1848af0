// What the console's browser tests share (Debian's Chromium driven by playwright-core, against the running stack):
// a connection per file to the run's one browser, a context per test bounded by one wait, signing in through the
// form, submitting a form, screenshots under .data/artifacts/console/ and the label and width checks. The journey's
// steps (merchant-journey-steps.ts, merchant-journey-orders.ts) and the browser files use these.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { chromiumMissing } from './chromium';
import { devAccounts, freshIp, gateway } from './helpers';
import { startReceiver } from './notify-helpers';

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.data/artifacts/console');
/** Every browser wait is bounded by this (a hung page fails the test, never the run). */
export const WAIT_MS = 20_000;

/**
 * The run's one Chromium (started by the global setup for the e2e project), connected to once per file; closing
 * the connection closes the file's contexts, not the browser. Never skipped when Chromium is missing.
 */
export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const ws = inject('chromiumWsEndpoint');
  if (!ws) throw new Error('no shared Chromium: the e2e global setup (test/global-setup.ts) did not start one');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.connect(ws, { timeout: 60_000 });
}

export interface FileBrowser {
  browser: Browser;
  /** A merchant's webhook receiver on loopback (notify-helpers.ts); only where asked for. */
  receiver: Awaited<ReturnType<typeof startReceiver>>;
}

/** A browser file's hooks: its connection to the run's Chromium (and a receiver) before its tests, closed after. */
export function browserForFile(opts: { receiver?: boolean } = {}): FileBrowser {
  const held = {} as FileBrowser;
  beforeAll(async () => {
    if (opts.receiver) held.receiver = await startReceiver();
    held.browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await held.browser?.close();
    await held.receiver?.stop();
  });
  return held;
}

/** A fresh context (no cookies) from its own client address, `width` px wide, every wait bounded by WAIT_MS. */
export async function consoleContext(browser: Browser, width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: gateway(),
    extraHTTPHeaders: { 'cf-connecting-ip': freshIp() },
    viewport: { width, height: 900 },
  });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  return { context, page: await context.newPage() };
}

/**
 * Collects the page's script errors and CSP refusals (an inline style or script would be one); refused forms' own
 * 4xx answers are logged by Chromium as failed loads, which is what they are meant to be.
 */
export function scriptErrorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Submits the form `button` is in and waits for the page the answer (or its redirect) loads. */
export async function submit(page: Page, button: ReturnType<Page['getByRole']>) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

/** Signs in with the dev account of `role` through the sign-in form; ends on the page it leads to. */
export async function signInToConsole(page: Page, role: 'merchant' | 'admin' = 'merchant') {
  const { email, password } = devAccounts().find((a) => a.role === role)!;
  await page.goto('/admin/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/admin/sign-in'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** A link of the console's navigation (the overview's body links may share its name). */
export const navLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });

/** Inputs a person could not name: every field must have a label (hidden fields aside). */
export const unlabelled = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
      .filter((e) => !(e as HTMLInputElement).labels?.length)
      .map((e) => e.outerHTML),
  );

/** Whether the page scrolls sideways (wide tables scroll inside their own box instead). */
export const overflows = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
