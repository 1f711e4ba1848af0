// Dev/test only: a local Stripe-compatible API server, faithful enough that the unchanged `stripe` SDK
// (23.1.0; Node http client and createFetchHttpClient() inside workerd alike) runs against it.
// Matches what the SDK sends and parses (read from node_modules/stripe/esm: RequestSender.js, utils.js,
// Error.js, Webhooks.js):
//  - form-encoded bodies/queries with bracketed keys (stripe-local/params.ts); Authorization: Bearer <key>
//    (Basic too); every POST carries an Idempotency-Key (the SDK generates `stripe-node-retry-<uuid>`).
//  - JSON responses with Request-Id; errors `{error:{type,code,decline_code,message,param,payment_intent,...}}`
//    with Stripe's statuses (400/401/402/404/409), which the SDK maps to StripeInvalidRequestError,
//    StripeAuthenticationError, StripeCardError, StripeIdempotencyError; it retries 409 and 5xx.
//  - Idempotency as Stripe does it: per API key, 24 h; same key + same params (method, path, params in any
//    order) -> the stored status + body with `Idempotent-Replayed: true` and no side effects; other params ->
//    400 idempotency_error; a request while the first one still runs -> 409 idempotency_key_in_use (the SDK
//    retries). Results are stored once the endpoint started executing (card declines, state errors);
//    parameter-validation errors and 500s are not (a corrected retry with the same key is allowed). In
//    stripe-local/idempotency.ts.
//  - PaymentIntents / Charges / Refunds / Events / test PaymentMethods: stripe-local/resources.ts (routes) and one
//    file per object beside it; webhook delivery with Stripe-Signature: stripe-local/webhooks.ts.
//  - Test controls (no auth): GET /_local/deliveries; GET|POST /_local/authenticate/<pi>?outcome=succeed|fail
//    (the 3-D Secure page that next_action.redirect_to_url.url points at; a GET with a return_url redirects there;
//    outcome=processing leaves the intent `processing` until a later succeed or fail);
//    POST /_local/hang and /_local/resume: a brownout, as when the process is stopped (SIGSTOP) and continued
//    (stripe-local/brownout.ts). POST /_local/faults?delay_ms=N&error_rate=R&lost_rate=L: added latency, a share
//    of 500s before anything runs, and a share of requests that run (kept under their key) and answer 500 (the
//    chaos suite's Stripe faults; all 0 turns them off). POST /_local/disputes/<pi>?status=needs_response|won|lost: the charge is
//    disputed (refunds refused with charge_disputed), or its dispute closes (stripe-local/refunds.ts). GET /_local/requests: the latest 500 API requests (method, path, traceparent),
//    so a test can follow a trace into the call to Stripe.
// Run: tsx dev/stripe-local.ts --port 12111 --webhook-url http://127.0.0.1:8787/v1/webhooks/stripe --webhook-secret whsec_...
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { listen } from './ports';
import { createBrownout } from './stripe-local/brownout';
import { createIdempotency } from './stripe-local/idempotency';
import { ApiError, canonical, invalid, type Params, parseForm } from './stripe-local/params';
import { createResources } from './stripe-local/resources';
import { type Ctx, randomToken } from './stripe-local/store';
import { createDeliverer, type DeliveryStatus, type RetryPolicy } from './stripe-local/webhooks';

export { signatureHeader } from './stripe-local/webhooks';
export type { DeliveryStatus };

export interface StripeLocalOptions {
  port?: number; // 0 = ephemeral
  host?: string; // default 127.0.0.1
  webhookUrl?: string; // where events are POSTed; can also be set later
  /** The endpoint's enabled_events, as a Stripe webhook endpoint has them: other events are made, not delivered. */
  enabledEvents?: readonly string[];
  webhookSecret: string; // whsec_... used to sign events
  apiKey?: string; // accepted secret key; default: any key starting with sk_test_ (or rk_test_)
  webhookRetry?: Partial<RetryPolicy>; // default {500, 8, 5000}: exponential backoff with jitter
  log?: (line: string) => void;
  /** Simulated processing time of each POST, in ms (default 0): widens the window in which a second request
   *  with the same Idempotency-Key gets 409 idempotency_key_in_use, as with the real API's latency. */
  latencyMs?: number;
}
export interface StripeLocal {
  url: string;
  port: number;
  setWebhookUrl(url: string): void;
  /** A brownout: API requests park unanswered and webhooks wait, until resume() runs them all in order. */
  hang(): void;
  resume(): void;
  /** Per event: delivery attempts and outcome (also served at GET /_local/deliveries). */
  deliveries(): DeliveryStatus[];
  stop(): Promise<void>; // stops server and pending deliveries
}

export const API_VERSION: string = Stripe.API_VERSION;
const MAX_BODY = 1024 * 1024;
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function apiKeyOf(req: http.IncomingMessage): string | null {
  const h = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+(\S+)\s*$/i.exec(h);
  if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] || null;
  return null;
}
const mask = (key: string) =>
  key.length <= 12 ? '*'.repeat(key.length) : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStripeLocal(opts: StripeLocalOptions): Promise<StripeLocal> {
  const log = opts.log ?? (() => {});
  const retry: RetryPolicy = { baseDelayMs: 500, maxAttempts: 8, timeoutMs: 5000, ...opts.webhookRetry };
  let baseUrl = '';
  const deliverer = createDeliverer({
    secret: opts.webhookSecret,
    retry,
    url: opts.webhookUrl,
    log,
    onDelivered: (id) => resources.markDelivered(id),
  });
  const resources = createResources({
    apiVersion: API_VERSION,
    baseUrl: () => baseUrl,
    // Ordered per PaymentIntent: its own events and those of its charges and refunds.
    onEvent: (e) => {
      if (opts.enabledEvents && !opts.enabledEvents.includes(e.type)) return resources.markDelivered(e.id);
      deliverer.add(e.id, e.type, JSON.stringify(e, null, 2), String(e.data.object.payment_intent ?? e.data.object.id));
    },
  });
  const idempotency = createIdempotency();
  /** The latest API requests, for tests that follow a trace (GET /_local/requests). */
  const seen: { method: string; path: string; traceparent: string | null; requestId: string }[] = [];
  const SEEN_KEPT = 500;

  const brownout = createBrownout({ pause: deliverer.pause, resume: deliverer.resume, log });
  const faults = { delayMs: 0, errorRate: 0, lostRate: 0 };

  const validKey = (key: string) => (opts.apiKey ? key === opts.apiKey : /^(sk|rk)_test_\S+$/.test(key));

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = `req_${randomToken(14)}`;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://stripe-local');
    const path = url.pathname;
    const base: Record<string, string> = {
      'Request-Id': requestId,
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, no-store',
      'Stripe-Version': String(req.headers['stripe-version'] ?? API_VERSION),
    };
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { ...base, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
      res.end(body);
      log(`${method} ${path} -> ${status} ${requestId}${extra['Idempotent-Replayed'] ? ' (replayed)' : ''}`);
    };
    const errorBody = (e: ApiError) =>
      json({ error: { ...e.error, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } });
    const sendError = (e: ApiError, extra: Record<string, string> = {}) =>
      send(e.status, errorBody(e), e.status === 409 ? { 'Stripe-Should-Retry': 'true', ...extra } : extra);

    const text = await readBody(req);
    if (text === null) return sendError(invalid('Request body too large.'));
    if (path.startsWith('/_local/')) return local(method, path, url, text, send, sendError);
    const traceparent = req.headers.traceparent;
    seen.push({ method, path, traceparent: typeof traceparent === 'string' ? traceparent : null, requestId });
    if (seen.length > SEEN_KEPT) seen.shift();
    await brownout.pass();
    // Injected faults (POST /_local/faults): added latency, then a share of requests answered 500 api_error, as
    // Stripe does in an incident. A 500 is not stored against its Idempotency-Key, so the SDK's retry runs anew.
    if (faults.delayMs) await sleep(faults.delayMs);
    if (faults.errorRate && Math.random() < faults.errorRate)
      return sendError(
        new ApiError(
          500,
          { type: 'api_error', message: 'An unknown error occurred (injected by /_local/faults).' },
          false,
        ),
      );

    const key = apiKeyOf(req);
    if (!key || !validKey(key)) {
      const message = key
        ? `Invalid API Key provided: ${mask(key)}`
        : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";
      return sendError(new ApiError(401, { type: 'invalid_request_error', message }), {
        'WWW-Authenticate': 'Basic realm="Stripe"',
      });
    }
    const handler = resources.route(method, path);
    if (!handler) {
      return sendError(
        new ApiError(404, {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        }),
      );
    }
    let params: Params;
    try {
      params = parseForm(method === 'POST' ? text : url.search.slice(1));
    } catch (e) {
      if (e instanceof ApiError) return sendError(e);
      throw e;
    }
    const idemKey = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const ctx: Ctx = { requestId, idempotencyKey: idemKey ?? null };
    /** Runs the handler: status + body, and whether Stripe would keep the result under the key. */
    const run = (): { status: number; body: string; stored: boolean } => {
      try {
        return { status: 200, body: json(handler(params, ctx)), stored: true };
      } catch (e) {
        if (e instanceof ApiError) return { status: e.status, body: errorBody(e), stored: e.stored };
        log(`${method} ${path} internal error: ${(e as Error).stack ?? String(e)}`);
        return {
          status: 500,
          body: errorBody(
            new ApiError(500, { type: 'api_error', message: `stripe-local internal error: ${(e as Error).message}` }),
          ),
          stored: false,
        };
      }
    };
    if (!idemKey) {
      if (opts.latencyMs && method === 'POST') await sleep(opts.latencyMs);
      const r = run();
      return send(r.status, r.body);
    }
    if (idemKey.length > 255)
      return sendError(invalid('Idempotency-Key must be at most 255 characters long.', 'idempotency_key'));

    const claim = idempotency.claim(key, idemKey, canonical({ method, path, params }));
    if ('error' in claim) return sendError(claim.error);
    if ('replay' in claim) {
      return send(claim.replay.status, claim.replay.body, {
        'Idempotency-Key': idemKey,
        'Idempotent-Replayed': 'true',
        'Original-Request': claim.replay.requestId,
      });
    }
    let r: ReturnType<typeof run> | undefined;
    try {
      if (opts.latencyMs) await sleep(opts.latencyMs);
      r = run();
    } finally {
      claim.finish(r, requestId);
    }
    // An injected lost answer: the request ran and its result is kept under the key (a retry with the key is
    // answered from it), but this answer is a 500, as when Stripe's reply is lost on the way back.
    if (faults.lostRate && Math.random() < faults.lostRate)
      return sendError(
        new ApiError(500, { type: 'api_error', message: 'The answer was lost (injected by /_local/faults).' }, false),
      );
    send(r.status, r.body, { 'Idempotency-Key': idemKey });
  }

  function local(
    method: string,
    path: string,
    url: URL,
    text: string,
    send: (s: number, b: string, h?: Record<string, string>) => void,
    sendError: (e: ApiError) => void,
  ): void {
    if (method === 'GET' && path === '/_local/deliveries')
      return send(200, json({ object: 'list', data: deliverer.list() }));
    if (method === 'GET' && path === '/_local/requests') return send(200, json({ object: 'list', data: seen }));
    if (method === 'POST' && (path === '/_local/hang' || path === '/_local/resume')) {
      (path === '/_local/hang' ? brownout.hang : brownout.resume)();
      return send(200, json({ hung: brownout.isHung() }));
    }
    if (method === 'POST' && path === '/_local/faults') {
      // ?delay_ms=2000&error_rate=0.5&lost_rate=0.3 (each 0 or absent: off); every call sets all three. error_rate:
      // refused before anything runs; lost_rate: run and kept under the Idempotency-Key, then answered 500.
      const form = new URLSearchParams(text);
      const param = (name: string) => url.searchParams.get(name) ?? form.get(name) ?? '0';
      const delayMs = Number(param('delay_ms'));
      const errorRate = Number(param('error_rate'));
      const lostRate = Number(param('lost_rate'));
      if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 60_000)
        return sendError(invalid('delay_ms must be an integer from 0 to 60000', 'delay_ms'));
      if (!Number.isFinite(errorRate) || errorRate < 0 || errorRate > 1)
        return sendError(invalid('error_rate must be a number from 0 to 1', 'error_rate'));
      if (!Number.isFinite(lostRate) || lostRate < 0 || lostRate > 1)
        return sendError(invalid('lost_rate must be a number from 0 to 1', 'lost_rate'));
      Object.assign(faults, { delayMs, errorRate, lostRate });
      log(`faults: delay ${delayMs} ms, error rate ${errorRate}, lost-answer rate ${lostRate}`);
      return send(200, json(faults));
    }
    const d = /^\/_local\/disputes\/([^/]+)$/.exec(path);
    if (d && method === 'POST') {
      try {
        const status = url.searchParams.get('status') ?? new URLSearchParams(text).get('status') ?? 'needs_response';
        if (status !== 'needs_response' && status !== 'won' && status !== 'lost')
          throw invalid('status must be needs_response, won or lost', 'status');
        const ctx = { requestId: `req_${randomToken(14)}`, idempotencyKey: null };
        return send(200, json(resources.dispute(decodeURIComponent(d[1]!), status, ctx)));
      } catch (e) {
        if (e instanceof ApiError) return sendError(e);
        throw e;
      }
    }
    const m = /^\/_local\/authenticate\/([^/]+)$/.exec(path);
    if (!m || (method !== 'GET' && method !== 'POST')) {
      return sendError(
        new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` }),
      );
    }
    try {
      const outcome =
        url.searchParams.get('outcome') ??
        (method === 'POST' ? new URLSearchParams(text).get('outcome') : null) ??
        'succeed';
      if (outcome !== 'succeed' && outcome !== 'fail' && outcome !== 'processing')
        throw invalid('outcome must be succeed, fail or processing', 'outcome');
      const { intent, returnUrl } = resources.authenticate(decodeURIComponent(m[1]!), outcome);
      if (method === 'GET' && returnUrl) {
        const to = new URL(returnUrl);
        to.searchParams.set('payment_intent', String(intent.id));
        to.searchParams.set('payment_intent_client_secret', String(intent.client_secret));
        const status = { succeed: 'succeeded', processing: 'processing', fail: 'failed' }[outcome];
        to.searchParams.set('redirect_status', status);
        return send(302, json({ redirect: to.href }), { Location: to.href });
      }
      send(200, json(intent));
    } catch (e) {
      if (e instanceof ApiError) return sendError(e);
      throw e;
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`${req.method} ${req.url} failed: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(json({ error: { type: 'api_error', message: 'stripe-local internal error' } }));
      }
    });
  });
  await listen(server, opts.port ?? 0, 'local Stripe', opts.host ?? '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`listening on ${baseUrl}`);
  return {
    url: baseUrl,
    port,
    setWebhookUrl: (u) => deliverer.setUrl(u),
    hang: brownout.hang,
    resume: brownout.resume,
    deliveries: () => deliverer.list(),
    async stop() {
      brownout.resume();
      deliverer.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// CLI entry: keep running until Ctrl-C.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.STRIPE_LOCAL_PORT ?? '12111' },
      host: { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'api-key': { type: 'string' },
      'latency-ms': { type: 'string' },
    },
  });
  const webhookSecret = values['webhook-secret'] ?? process.env.STRIPE_WEBHOOK_SECRET;
  if (!webhookSecret) {
    console.error(
      'usage: tsx dev/stripe-local.ts [--port 12111] [--host 127.0.0.1] [--webhook-url URL] --webhook-secret whsec_... [--api-key sk_test_...] [--latency-ms N]',
    );
    process.exit(2);
  }
  const server = await startStripeLocal({
    port: Number(values.port),
    host: values.host,
    webhookUrl: values['webhook-url'],
    webhookSecret,
    apiKey: values['api-key'],
    latencyMs: values['latency-ms'] ? Number(values['latency-ms']) : undefined,
    log: (l) => console.log(`[stripe-local] ${l}`),
  });
  console.log(
    `[stripe-local] API ${server.url} (Stripe-Version ${API_VERSION}); webhooks -> ${values['webhook-url'] ?? '(not set yet)'}`,
  );
  const stop = () => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
