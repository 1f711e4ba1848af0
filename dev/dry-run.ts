// Proves every worker bundles for production: `wrangler deploy --dry-run` for each config, bundles written
// to a temp dir and their upload sizes printed. Part of `npm test`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, workerConfigs } from './stack';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'storefront-bundles-'));
const wrangler = path.join(projectRoot, 'node_modules/.bin/wrangler');
let failed = 0;
for (const config of workerConfigs) {
  const dir = path.join(out, path.dirname(config).replace(/\W+/g, '_') || 'gateway');
  try {
    const output = execFileSync(wrangler, ['deploy', '--dry-run', '-c', config, '--outdir', dir], {
      cwd: projectRoot,
      stdio: 'pipe',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    }).toString();
    const size = /Total Upload: ([^\n]+)/.exec(output)?.[1] ?? 'size not reported';
    console.log(`bundled ${config}: ${size.trim()}`);
  } catch (err) {
    failed++;
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    console.error(`FAILED to bundle ${config}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
fs.rmSync(out, { recursive: true, force: true });
if (failed) process.exit(1);
