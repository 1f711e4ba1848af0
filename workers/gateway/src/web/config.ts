// The web pages' shared setting (the console's and the storefront's), apart from the gateway's (config.ts): read on
// first use by a page only, so the API keeps answering on a deployment that has not set the secret (its pages then
// answer a 500 naming it, as the token settings do for the routes that sign tokens).
import { z } from 'zod';
import { configOf, secret } from '../../../../lib/config';

export const WebVars = z.object({
  // The key of the CSRF tokens (HMAC-SHA256 of a scope and the session id: web/csrf.ts), for the console's forms
  // and the storefront's. `wrangler secret put CONSOLE_SESSION_SECRET`; the local stack sets a dev one. Rotating
  // it refuses the forms already on screen once (reload, then send).
  CONSOLE_SESSION_SECRET: secret(z.string().min(32, 'at least 32 characters')),
});

export const webConfig = (env: object): z.output<typeof WebVars> =>
  configOf(env, WebVars, 'the web pages (CONSOLE_SESSION_SECRET: wrangler secret put)');
