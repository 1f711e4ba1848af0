// The console's settings, apart from the gateway's (config.ts): read on first use by a console route only, so the
// API keeps answering on a deployment that has not set the console's secret (its pages then answer a 500 naming
// it, as the token settings do for the routes that sign tokens).
import { z } from 'zod';
import { configOf, intVar, secret } from '../../../../lib/config';

export const ConsoleVars = z.object({
  // The key of the CSRF tokens (HMAC-SHA256 of the session id). `wrangler secret put CONSOLE_SESSION_SECRET`;
  // the local stack sets a dev one. Rotating it refuses the forms already on screen once (reload, then send).
  CONSOLE_SESSION_SECRET: secret(z.string().min(32, 'at least 32 characters')),
  // How often the ops page's script fetches its figures again, in seconds.
  CONSOLE_REFRESH_SECONDS: intVar(5, { min: 1, max: 300 }),
});
export type ConsoleConfig = z.output<typeof ConsoleVars>;

export const consoleConfig = (env: object): ConsoleConfig =>
  configOf(env, ConsoleVars, 'the /admin console (CONSOLE_SESSION_SECRET: wrangler secret put)');
