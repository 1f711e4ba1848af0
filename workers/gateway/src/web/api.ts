// The web pages' calls to the public API (the console's and the storefront's): in-process through the gateway's own
// app with the typed client, so validation, roles, rate limits, figures and the audit log are the API's, never a
// second path. The app's fetch is handed in by app.ts (the pages are mounted on that app: no import cycle).
import type { Context } from 'hono';
import { createStorefrontClient, type StorefrontClient } from '../../../../lib/client';
import { READ_AFTER_HEADER } from '../../../../lib/db/read-after';
import { outgoingTrace } from '../../../../lib/trace';
import { markOwnRequest } from '../middleware/own-requests';
import type { GatewayApp, GatewayBindings, GatewayVars } from '../types';

/** The gateway app's fetch, handed in by app.ts. */
export type AppFetch = (request: Request, env: GatewayBindings, ctx: ExecutionContext) => Response | Promise<Response>;

/** What every web page's context carries: the gateway's bindings and variables, and the app's fetch. */
export interface WebApp {
  Bindings: GatewayApp['Bindings'];
  Variables: GatewayVars & { appFetch: AppFetch };
}
export type WebContext = Context<WebApp>;

/** How long a page waits for one in-process API call. */
export const API_TIMEOUT_MS = 10_000;

/**
 * `answer`, or the abort of `signal` if it comes first. The in-process call (app.fetch) never looks at the
 * request's signal, so without this race the client's timeout would never end a call that hangs.
 */
export function untilAborted<T>(answer: T | Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(answer).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export interface ApiOptions {
  timeoutMs?: number;
  /**
   * Whether the calls are the site's own traffic, kept out of the figures (middleware/own-requests.ts): the
   * console's are (they would count in the figures they show); the storefront's are not (a shopper's cart and
   * checkout are the business the figures count).
   */
  own: boolean;
}

/** The typed API client, in-process, as the holder of `token` (or anonymous), from the browser's address. */
export function apiOf(c: WebContext, token: string | undefined, opts: ApiOptions): StorefrontClient {
  let ctx: ExecutionContext;
  try {
    ctx = c.executionCtx as ExecutionContext;
  } catch {
    // app.request() in a test has none; the API's waitUntil work (figures) then runs unawaited.
    ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
  }
  const address = c.req.header('cf-connecting-ip');
  // The page's span: each API call is a child of it, so one trace holds the page and every call it made.
  const traceparent = outgoingTrace()?.traceparent;
  return createStorefrontClient(new URL(c.req.url).origin, {
    token,
    headers: {
      // The browser's address, so the API's per-address limits (sign-in) count the browser, not the gateway.
      ...(address ? { 'cf-connecting-ip': address } : {}),
      ...(traceparent ? { traceparent } : {}),
      // Kept by the API as the correlation id of its request: the page's request id in the API's log lines.
      'x-request-id': c.get('requestId'),
    },
    timeoutMs: opts.timeoutMs ?? API_TIMEOUT_MS,
    fetch: async (request) => {
      // Read-your-writes (middleware/read-after.ts): each call carries the newest token the page knows (one an
      // earlier call of this page was given, else the browser's cookie), and a token a call is given is kept for
      // the page's answer, which sets it as the cookie.
      const readAfter = c.get('readAfterIssued') ?? c.get('readAfterToken');
      if (readAfter) request.headers.set(READ_AFTER_HEADER, readAfter);
      const res = await untilAborted(
        c.get('appFetch')(opts.own ? markOwnRequest(request) : request, c.env, ctx),
        request.signal,
      );
      const issued = res.headers.get(READ_AFTER_HEADER);
      if (issued) c.set('readAfterIssued', issued);
      return res;
    },
  });
}
