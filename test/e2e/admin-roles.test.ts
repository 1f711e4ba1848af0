// Every merchant operation is closed to shoppers: walks each /v1/admin/* operation of docs/openapi.json (the
// published API, regenerated from the routes by `npm run client`) and expects 401 without a token and 403 with a
// guest's or a registered customer's, so a route added without its role check fails here. Raw requests: the
// bodies are deliberately empty, since the role check must answer before anything reads them.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { guestToken } from './checkout-helpers';
import { freshIp, gateway } from './helpers';
import { registered } from './identity-helpers';

const spec = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** A well-formed value for each path parameter, so a 400 for a malformed id cannot stand in for the 403. */
function concrete(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === 'slug') return 'role-check';
    if (name === 'sku') return 'ROLE-CHECK-1';
    if (template.startsWith('/v1/admin/orders/')) return 'ord_rolecheck0000';
    if (template.startsWith('/v1/admin/tasks/')) return `${'0'.repeat(64)}.1`;
    return '00000000-0000-4000-8000-000000000000';
  });
}

const operations = Object.entries(spec.paths)
  .filter(([p]) => p.startsWith('/v1/admin/'))
  .flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => METHODS.includes(m))
      .map((m) => [m.toUpperCase(), p] as const),
  );

async function call(method: string, template: string, token?: string) {
  const res = await fetch(`${gateway()}${concrete(template)}`, {
    method,
    headers: {
      'cf-connecting-ip': freshIp(),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
    },
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
  return { status: res.status, code: body?.error?.code };
}

describe('every /v1/admin operation needs a merchant or admin', () => {
  const tokens: Record<'guest' | 'customer', string> = { guest: '', customer: '' };
  beforeAll(async () => {
    tokens.guest = await guestToken();
    tokens.customer = (await registered()).accessToken;
  });

  it('finds the admin operations in docs/openapi.json', () => {
    // A sanity floor: the walk below is only as good as the list it walks.
    expect(operations.length).toBeGreaterThanOrEqual(40);
    expect(operations).toContainEqual(['POST', '/v1/admin/orders/{id}/refunds']);
  });

  it.each(operations)('%s %s: 401 without a token, 403 for a guest and a customer', async (method, template) => {
    expect(await call(method, template), 'no token').toEqual({ status: 401, code: 'UNAUTHORIZED' });
    for (const who of ['guest', 'customer'] as const)
      expect(await call(method, template, tokens[who]), who).toEqual({ status: 403, code: 'FORBIDDEN' });
  });
});
