// The console's settings, apart from the gateway's (config.ts): read on first use by a console route only, so the
// API keeps answering on a deployment that has not set the console's secret (its pages then answer a 500 naming
// it, as the token settings do for the routes that sign tokens). The secret is the web pages' (web/config.ts).
import type { z } from 'zod';
import { configOf, intVar } from '../../../../lib/config';
import { WebVars } from '../web/config';

export const ConsoleVars = WebVars.extend({
  // How often the ops page's script fetches its figures again, in seconds.
  CONSOLE_REFRESH_SECONDS: intVar(5, { min: 1, max: 300 }),
});
export type ConsoleConfig = z.output<typeof ConsoleVars>;

export const consoleConfig = (env: object): ConsoleConfig =>
  configOf(env, ConsoleVars, 'the /admin console (CONSOLE_SESSION_SECRET: wrangler secret put)');
