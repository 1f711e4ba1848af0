// What the console's browser tests share (Debian's Chromium driven by playwright-core, against the running stack):
// starting the browser once per file, a context per test bounded by one wait, signing in through the form,
// submitting a form, screenshots under .data/artifacts/console/ and the label and width checks. The journey's
// steps (merchant-journey-steps.ts, merchant-journey-orders.ts) and the three merchant browser files use these.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { devAccounts, freshIp, gateway } from './helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.data/artifacts/console');
/** Every browser wait is bounded by this (a hung page fails the test, never the run). */
export const WAIT_MS = 20_000;

/** Starts Chromium (once per file: a start costs seconds on a busy machine). Never skipped when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) ` +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary',
    );
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start: without the sandbox for that reason only.
    chromiumSandbox: false,
    args: ['--headless=new'],
    timeout: 60_000,
  });
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
