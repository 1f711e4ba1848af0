// `npm run lighthouse`: Lighthouse (the npm package) with the machine's Chromium on the storefront's pages of a
// running stack (`npm run dev`, or LIGHTHOUSE_URL), printing performance and accessibility per page against the
// targets of issue 15 (performance >= 90, accessibility >= 95); exits 1 when a page misses one. Mobile, Lighthouse's
// default simulated throttling. CHROMIUM_PATH as the browser tests (test/e2e/console-browser-kit.ts).
// LIGHTHOUSE_PAGES=/,/cart picks pages; the report of each page is written to .data/artifacts/shop/lighthouse/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

const root = fileURLToPath(new URL('..', import.meta.url));
const base = (process.env.LIGHTHOUSE_URL ?? 'http://127.0.0.1:8787').replace(/\/$/, '');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const pages = (process.env.LIGHTHOUSE_PAGES ?? '/,/c/apparel,/p/mireille-heritage-viscose-slip-dress-1200,/cart')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const targets = { performance: 90, accessibility: 95 };
const out = path.join(root, '.data', 'artifacts', 'shop', 'lighthouse');

if (!fs.existsSync(chromium)) {
  console.error(`Chromium not found at ${chromium}: apt-get install chromium (or set CHROMIUM_PATH)`);
  process.exit(1);
}
const health = await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
if (!health?.ok) {
  console.error(`no storefront at ${base}: start it with \`npm run dev\` (or set LIGHTHOUSE_URL)`);
  process.exit(1);
}
fs.mkdirSync(out, { recursive: true });

const chrome = await chromeLauncher.launch({
  chromePath: chromium,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const rows: { page: string; performance: number; accessibility: number; failing: string[]; metrics: string }[] = [];
try {
  for (const page of pages) {
    // One run per page, bounded: a stuck page fails that page, not the command.
    const result = await Promise.race([
      lighthouse(`${base}${page}`, {
        port: chrome.port,
        output: 'html',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility'],
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${page}: no result in 120 s`)), 120_000)),
    ]);
    if (!result) throw new Error(`${page}: no result`);
    const { lhr, report } = result;
    const score = (id: string) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
    const failing = Object.values(lhr.audits)
      .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === 'binary')
      .map((a) => a.id);
    const ms = (id: string) => `${Math.round(lhr.audits[id]?.numericValue ?? 0)}`;
    const metrics = `FCP ${ms('first-contentful-paint')} ms, LCP ${ms('largest-contentful-paint')} ms, TBT ${ms(
      'total-blocking-time',
    )} ms, CLS ${(lhr.audits['cumulative-layout-shift']?.numericValue ?? 0).toFixed(3)}, TTFB ${ms('server-response-time')} ms`;
    rows.push({ page, performance: score('performance'), accessibility: score('accessibility'), failing, metrics });
    const name = page === '/' ? 'home' : page.replace(/^\//, '').replace(/[^a-z0-9-]+/gi, '_');
    fs.writeFileSync(path.join(out, `${name}.html`), Array.isArray(report) ? report[0]! : report);
  }
} finally {
  await chrome.kill();
}

const met = (n: number, t: number) => (n >= t ? 'met' : 'NOT MET');
console.log(`\nLighthouse (mobile, simulated throttling) on ${base}; reports in ${path.relative(root, out)}/`);
console.log('| page | performance | accessibility | metrics | failing binary audits |\n|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.page} | ${r.performance} (${met(r.performance, targets.performance)}) | ` +
      `${r.accessibility} (${met(r.accessibility, targets.accessibility)}) | ${r.metrics} | ` +
      `${r.failing.join(', ') || 'none'} |`,
  );
if (rows.some((r) => r.performance < targets.performance || r.accessibility < targets.accessibility))
  process.exitCode = 1;
