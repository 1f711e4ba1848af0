// Where the browser tests' Chromium is and how it is started, without vitest: the global setup starts one Chromium
// server for the whole e2e run (test/global-setup.ts) and each browser file connects to it (console-browser-kit.ts),
// a context per test keeping cookies and storage apart; a start and stop cost about 3 s a file on a busy machine.
import fs from 'node:fs';
import { type BrowserServer, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined; they fail with it, never skip. */
export const chromiumMissing = () =>
  fs.existsSync(CHROMIUM)
    ? undefined
    : `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) ` +
      'or point CHROMIUM_PATH at a Chromium or Chrome binary';

/** Starts the shared Chromium (headless; CI runs as root, where its sandbox cannot start: off for that only). */
export function startChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: ['--headless=new'],
    timeout: 60_000,
  });
}
