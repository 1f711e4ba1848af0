// Helpers for end-to-end tests: the typed API client (lib/client) against the running gateway, raw HTTP for the
// tests whose point is a malformed or hostile request, SQL straight to the test Postgres.
import type pg from 'pg';
import { inject } from 'vitest';
import { sql } from '../../dev/sql';
import { createStorefrontClient, type StorefrontClient } from '../../lib/client';

export const gateway = () => inject('gatewayUrl');
export const devAccounts = () =>
  JSON.parse(inject('devAccounts')) as { email: string; password: string; role: string }[];

/**
 * Rate limits count per client IP (CF-Connecting-IP, which Cloudflare sets in production). Each call gets
 * its own documentation-range address unless the test names one, so tests never share a limit by accident.
 */
let ipCounter = 0;
// e2e files run several at a time (vitest.config.ts), each in its own process: the pid (folded into the 16 bits of
// an IPv6 group) keeps two files' addresses apart.
const ipFile = ((process.pid ^ (process.pid >>> 16)) & 0xffff).toString(16);
// Each in its own /64, as distinct subscribers are: stock caps and the auth limits count a whole IPv6 /64 as one
// network, so the counter is part of the /64.
export const freshIp = () => `2001:db8:${ipFile}:${(++ipCounter & 0xffff).toString(16)}::1`;

/**
 * The typed client (lib/client, generated from the OpenAPI document) as the holder of `token`, or anonymous.
 * Each call comes from its own client address unless `ip` names one.
 */
export function client(token?: string, ip?: string): StorefrontClient {
  return createStorefrontClient(gateway(), {
    token,
    // Generous: the concurrency tests put hundreds of requests in flight on two shared cores.
    timeoutMs: 30_000,
    fetch: (request) => {
      request.headers.set('cf-connecting-ip', ip ?? freshIp());
      return fetch(request);
    },
  });
}

/** The data of a call that must succeed (else it throws, naming the call and the answer). */
export async function ok<T>(
  what: string,
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw new Error(`${what}: ${response.status} ${JSON.stringify(error)}`);
  return data as NonNullable<T>;
}

/** Raw HTTP, for requests the typed client would not send: malformed, hostile, or with odd headers. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  ms: number;
}

export async function api<T = any>(path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  const started = Date.now();
  const headers = new Headers(init.headers);
  if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', freshIp());
  const res = await fetch(`${gateway()}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body: any = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, ms: Date.now() - started };
}

export function postJson<T = any>(path: string, body: unknown, headers: Record<string, string> = {}) {
  return api<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const signedIn = new Map<string, Promise<string>>();
/** An access token of the dev account with `role` (signed in once per test file). */
export function devAccountToken(role: 'merchant' | 'admin'): Promise<string> {
  let token = signedIn.get(role);
  if (!token) {
    const { email, password } = devAccounts().find((a) => a.role === role)!;
    token = ok(`${role} login`, client().POST('/v1/auth/login', { body: { email, password } })).then(
      (s) => s.accessToken,
    );
    signedIn.set(role, token);
  }
  return token;
}
export const merchantToken = () => devAccountToken('merchant');

/** PATCH /v1/admin/products/:slug as the merchant, raw: the body may be malformed on purpose. */
export async function adminPatch(slug: string, body: unknown, headers: Record<string, string> = {}) {
  return api(`/v1/admin/products/${slug}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${await merchantToken()}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export { sql };
export const primary = <R extends pg.QueryResultRow = any>(text: string, params?: unknown[]) =>
  sql<R>(inject('databaseUrl'), text, params);
/** The first replica (region `us`), which reads without a region go to first. */
export const replica = <R extends pg.QueryResultRow = any>(text: string, params?: unknown[]) =>
  sql<R>(inject('databaseReplicaUrl'), text, params);
/** The second replica (region `eu`). */
export const replicaEu = <R extends pg.QueryResultRow = any>(text: string, params?: unknown[]) =>
  sql<R>(inject('databaseReplicaEuUrl'), text, params);

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`not within ${timeoutMs}ms: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/**
 * Waits until both replicas answer `text` with a row whose `n` is at least `atLeast`: for a test that wrote straight
 * into the primary (no new catalog generation, so a fill may read a lagging replica and keep what it saw) and then
 * reads through the gateway. Opt-in: some serial files write while a replica is paused.
 */
export async function replicated(text: string, params: unknown[], atLeast = 1): Promise<void> {
  await eventually(
    `both replicas to have ${text}`,
    async () => {
      const [us, eu] = await Promise.all([
        replica<{ n: number }>(text, params),
        replicaEu<{ n: number }>(text, params),
      ]);
      return (us[0]?.n ?? 0) >= atLeast && (eu[0]?.n ?? 0) >= atLeast;
    },
    10_000,
    20,
  );
}

let counter = 0;
// Files run side by side (each in its own process): the pid keeps two files' words apart in the same millisecond.
// The clock part wraps after 25 days, far longer than a test stack lives, and keeps words (and SKUs) short.
const wordFile = (process.pid % 36 ** 4).toString(36).padStart(4, '0');
/** A unique lowercase word, so a test's own search or data never meets another test's. */
export const uniqueWord = (prefix = 'zq') =>
  `${prefix}${(Date.now() % 36 ** 6).toString(36).padStart(6, '0')}${wordFile}${(counter++).toString(36)}x`;

/** Inserts a published product (and one variant) straight into the primary; returns its slug. */
export async function insertProduct(p: {
  title: string;
  description?: string;
  brand?: string;
  price?: number;
  category?: string;
}) {
  const slug = `${p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${uniqueWord('t')}`;
  const [row] = await primary<{ id: string }>(
    `insert into products (slug, title, description, brand, category_id, price_amount, currency, images)
     values ($1, $2, $3, $4, (select id from categories where slug = $5), $6, 'USD', '[]') returning id`,
    [
      slug,
      p.title,
      p.description ?? 'A test product.',
      p.brand ?? 'Testbrand',
      p.category ?? 'kitchen',
      p.price ?? 1000,
    ],
  );
  await primary(
    `insert into product_variants (product_id, sku, title, options, price_amount, currency) values ($1, $2, 'Default', '{}', $3, 'USD')`,
    [row!.id, `TST-${slug}`.slice(0, 60).toUpperCase(), p.price ?? 1000],
  );
  return slug;
}
