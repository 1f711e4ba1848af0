// `npm run deploy`: creates what the account lacks (KV namespaces, queues, R2 buckets; new KV ids written
// into the wrangler.toml files), checks every worker's secrets, and deploys the workers in dependency order.
// `npm run deploy:dry-run` (part of `npm test`) validates the configs, prints the plan and bundles every
// worker without an account. Uses the project's own wrangler and its login (`npx wrangler login`, or
// CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID). The steps live in dev/deploy/.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PlanError } from './deploy/plan';
import { DeployStopped, deploy, dryRun } from './deploy/run';
import { WranglerError, wranglerAccount, wranglerRunner } from './deploy/wrangler';
import { projectRoot, workerConfigs } from './stack';

const usage = `usage: npm run deploy [-- --dry-run] [-- --allow-missing-optional]
  --dry-run                 no account calls: validate the configs, print the plan, bundle every worker
  --allow-missing-optional  deploy even if optional secrets (e.g. the Upstash ones) are not set`;

async function main() {
  let flags: { 'dry-run'?: boolean; 'allow-missing-optional'?: boolean; help?: boolean };
  try {
    flags = parseArgs({
      options: {
        'dry-run': { type: 'boolean' },
        'allow-missing-optional': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (flags.help) {
    console.log(usage);
    return 0;
  }
  const account = wranglerAccount(wranglerRunner(path.join(projectRoot, 'node_modules/.bin/wrangler'), projectRoot));
  const options = { root: projectRoot, configPaths: workerConfigs, account };
  try {
    if (flags['dry-run']) await dryRun(options);
    else await deploy({ ...options, allowMissingOptional: flags['allow-missing-optional'] });
    return 0;
  } catch (err) {
    if (err instanceof DeployStopped || err instanceof PlanError || err instanceof WranglerError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main();
