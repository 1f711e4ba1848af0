// Property-based fuzzing of the catalog reads through the running gateway: arbitrary query parameters, raw and
// oddly encoded query strings, forged cursors and path segments never produce a server error (no status >= 500,
// and no 503 either: the database is up), and every 4xx answer has the public error shape.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { api } from '../helpers';
import {
  anyText,
  authorization,
  b64url,
  expectSane,
  FUZZ_TIMEOUT,
  nastyUnit,
  numberText,
  percentBytes,
  productParamName,
  queryParams,
  rarely,
  rawQuery,
  runs,
  slugText,
  toQuery,
  withAuth,
} from './inputs';

// ---- cursors ---------------------------------------------------------------------------------------------

const safeIsoDate = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
/** Keys at and beyond the edges of what the sort's column can hold: the cases a shape check alone lets through. */
const edgeKey = fc.oneof(
  fc.constantFrom(2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, 1e300, -0),
  fc.constantFrom(
    '2024-02-30 00:00:00Z',
    '9999-99-99 99:99:99Z',
    '0000-01-01T00:00:00Z',
    '2024-01-01 24:00:00+14',
    '1970-01-01T00:00:00.000000-99:99',
  ),
  fc.constantFrom('e', '.', '-', '1e99', '1e-99', '+.e', '0'),
);
const cursorKeyTuple = fc.tuple(
  fc.oneof(
    safeIsoDate,
    fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
    fc.integer({ min: 0, max: 10_000 }).map((n) => String(n / 1000)),
    { weight: 2, arbitrary: edgeKey },
    fc.jsonValue({ maxDepth: 1 }),
  ),
  fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string() }),
);
const cursorKey = fc.oneof(
  { weight: 3, arbitrary: cursorKeyTuple },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
/** A list request with a forged cursor: mostly for the right sort and filter (so the key is what is tested). */
const cursorCase = fc
  .record({
    sort: fc.constantFrom(undefined, 'newest', 'price_asc', 'price_desc', 'relevance'),
    q: fc.option(fc.constantFrom('lamp', 'linen shirt', 'oak'), { nil: undefined }),
    category: rarely(fc.constantFrom('kitchen', 'apparel')),
    foreignSort: rarely(fc.constantFrom('newest', 'price_asc', 'price_desc', 'relevance', 'cheapest')),
    foreignFilter: rarely(fc.constantFrom(JSON.stringify(['x', '']), '', '["",""]x')),
    key: cursorKey,
    wholeJson: rarely(fc.jsonValue({ maxDepth: 3 })),
  })
  .map((c) => {
    const sort = c.sort === 'relevance' && !c.q ? 'newest' : (c.sort ?? (c.q ? 'relevance' : 'newest'));
    const filter = JSON.stringify([c.q ?? '', c.category ?? '']);
    const parsed = c.wholeJson !== undefined ? c.wholeJson : [c.foreignSort ?? sort, c.key, c.foreignFilter ?? filter];
    const params: [string, string][] = [['cursor', b64url(JSON.stringify(parsed))]];
    if (c.sort) params.push(['sort', c.sort]);
    if (c.q) params.push(['q', c.q]);
    if (c.category) params.push(['category', c.category]);
    return { path: `/v1/products${toQuery(params)}` };
  });

/** Only the real parameter names, each at most once, with values from plausible to hostile (mostly valid, so
 * that the request often gets past validation to the database). */
const realParams = fc
  .record({
    q: fc.oneof(
      anyText,
      { weight: 2, arbitrary: fc.string({ unit: nastyUnit, minLength: 1, maxLength: 30 }) },
      fc.constantFrom('"linen shirt" -blue', 'oak or linen', '!!', ':*', '&|'),
    ),
    category: rarely(fc.oneof(slugText, fc.constantFrom('kitchen', 'apparel', 'KITCHEN', ' kitchen '), anyText)),
    sort: rarely(
      fc.oneof(fc.constantFrom('relevance', 'newest', 'price_asc', 'price_desc', 'Price_Desc', ' newest '), anyText),
    ),
    limit: rarely(fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), numberText)),
    cursor: rarely(
      fc.oneof(
        fc.base64String({ maxLength: 40 }).map((t) => t.replace(/[+/=]/g, '_')),
        anyText,
      ),
    ),
  })
  .map((r) => Object.entries(r).filter((e): e is [string, string] => e[1] !== undefined));

/** Whether a query names a parameter at all (`?=x` names none: the gateway's parser, Hono's, skips it). */
const named = (pairs: [string, unknown][]) => pairs.some(([name]) => name !== '');

describe('fuzz: catalog reads', () => {
  it(
    'GET /v1/products with arbitrary query parameters never fails on the server and errors have the error shape',
    async () => {
      await fc.assert(
        fc.asyncProperty(queryParams(productParamName), async (pairs) => {
          const path = `/v1/products${toQuery(pairs)}`;
          expectSane(`GET ${path}`, await api(path));
        }),
        runs(80),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'GET /v1/products with only the real parameter names and arbitrary values never fails on the server',
    async () => {
      await fc.assert(
        fc.asyncProperty(realParams, async (pairs) => {
          const path = `/v1/products${toQuery(pairs)}`;
          expectSane(`GET ${path}`, await api(path));
        }),
        runs(60),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'GET /v1/products with raw, oddly encoded query strings never fails on the server',
    async () => {
      await fc.assert(
        fc.asyncProperty(rawQuery, async (query) => {
          const path = `/v1/products${query}`;
          expectSane(`GET ${path}`, await api(path));
        }),
        runs(40),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'GET /v1/products with forged cursors (arbitrary JSON, foreign sorts and filters, odd keys) answers 200 or a 4xx with the error shape',
    async () => {
      await fc.assert(
        fc.asyncProperty(cursorCase, async ({ path }) => {
          expectSane(`GET ${path}`, await api(path));
        }),
        runs(60),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'GET /v1/products/:slug with arbitrary path segments never fails on the server',
    async () => {
      const segment = fc.oneof(
        anyText.map(encodeURIComponent),
        slugText,
        slugText.map((s) => encodeURIComponent(s.toUpperCase())),
        fc.uint8Array({ minLength: 1, maxLength: 30 }).map(percentBytes),
        fc.string({ minLength: 121, maxLength: 400 }).map(encodeURIComponent),
        fc.constantFrom(
          '%2F',
          '..%2F..%2Fhealth',
          '%2e%2e',
          'a%2Fb',
          '%00',
          '%',
          '%ZZ',
          'a;b',
          'a%23b',
          '%E2%80%AE',
          'x'.repeat(120),
          '-',
          'a--b',
        ),
      );
      await fc.assert(
        fc.asyncProperty(segment, authorization, async (seg, auth) => {
          const path = `/v1/products/${seg}`;
          expectSane(`GET ${path} authorization ${JSON.stringify(auth)}`, await api(path, { headers: withAuth(auth) }));
        }),
        runs(80),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'GET /v1/categories with junk parameters and bearer headers answers 400 (200 without any), or 401, with the error shape',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          queryParams(fc.oneof(anyText, fc.constantFrom('q', 'depth', 'limit'))),
          authorization,
          async (pairs, auth) => {
            const path = `/v1/categories${toQuery(pairs)}`;
            const res = await api(path, { headers: withAuth(auth) });
            expectSane(`GET ${path} authorization ${JSON.stringify(auth)}`, res);
            // Issue 11 finding 10: the route takes no parameters, so any parameter is refused (after the bearer).
            const clean = named(pairs) ? 400 : 200;
            expect([clean, 401]).toContain(res.status);
            if (auth === undefined) expect(res.status).toBe(clean);
          },
        ),
        runs(60),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'GET /health and GET /v1/openapi.json with junk parameters answer 400 VALIDATION_FAILED (200 without any)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('/health', '/v1/openapi.json'), queryParams(anyText), async (base, pairs) => {
          const path = `${base}${toQuery(pairs)}`;
          const res = await api(path);
          expectSane(`GET ${path}`, res);
          expect(res.status, `GET ${path} -> ${JSON.stringify(res.body).slice(0, 300)}`).toBe(named(pairs) ? 400 : 200);
          if (named(pairs)) expect(res.body.error.code).toBe('VALIDATION_FAILED');
        }),
        runs(40),
      );
    },
    FUZZ_TIMEOUT,
  );
});
