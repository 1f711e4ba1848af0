// CI guard: every generated worker-configuration.d.ts must match its wrangler.toml (`wrangler types --check`).
// Runs the same commands as `npm run types`, read from package.json, with --check added.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const scripts: Record<string, string> = JSON.parse(readFileSync('package.json', 'utf8')).scripts;
let stale = 0;
for (const [name, command] of Object.entries(scripts)) {
  if (!name.startsWith('types:') || name === 'types:check') continue;
  try {
    execSync(`${command} --check`, { stdio: 'pipe' });
  } catch (err) {
    stale++;
    console.error(`${name}: generated types are stale; run \`npm run types\` and commit the result.`);
    console.error(String((err as { stdout?: Buffer }).stdout ?? ''));
  }
}
if (stale) process.exit(1);
console.log('worker types are up to date');
