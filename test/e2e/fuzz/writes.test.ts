// Property-based fuzzing of the write routes through the running gateway: identity (register, login, refresh,
// logout, guest), merchant product changes (only against products this file inserts) and the cart, with
// arbitrary bodies, content types, sizes, bearer and If-Match headers: never a server error, and every 4xx has
// the public error shape.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { client, insertProduct, merchantToken, ok, primary, uniqueWord } from '../helpers';
import {
  anyText,
  authorization,
  body,
  describeBody,
  emailish,
  expectSane,
  FUZZ_TIMEOUT,
  jsonish,
  nastyUnit,
  passwordish,
  runs,
  send,
  slugText,
  withAuth,
} from './inputs';

/** Refresh tokens: real ones (from guest sessions made in beforeAll, used up as the run goes), plausible and odd ones. */
const refreshPool: string[] = [];
const refreshTokenish = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.nat().map((i) => refreshPool[i % Math.max(refreshPool.length, 1)] ?? 'no-pool-yet-aaaaaaaaaaaaaa'),
  },
  fc.base64String({ minLength: 20, maxLength: 220 }).map((s) => s.replace(/[+/=]/g, '_')),
  anyText,
);
/** Anything an object body could hold under our field names, plus keys we do not accept. */
const chaosAuthBody = fc.record(
  {
    email: fc.oneof(emailish, fc.jsonValue({ maxDepth: 2 })),
    password: fc.oneof(passwordish, fc.jsonValue({ maxDepth: 2 })),
    name: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 110 }), fc.jsonValue({ maxDepth: 2 })),
    refreshToken: fc.oneof(refreshTokenish, fc.jsonValue({ maxDepth: 2 })),
    role: fc.constantFrom('admin', 'merchant'),
  },
  { requiredKeys: [] },
);
/** Per endpoint: bodies of the right shape with arbitrary values (these reach the handler), or chaos. */
const authBodies: Record<string, fc.Arbitrary<unknown>> = {
  '/v1/auth/register': fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record(
        {
          email: emailish,
          password: passwordish,
          name: fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 110 }),
            fc.string({ unit: nastyUnit, minLength: 1, maxLength: 20 }),
          ),
        },
        { requiredKeys: ['email', 'password'] },
      ),
    },
    { weight: 1, arbitrary: chaosAuthBody },
  ),
  '/v1/auth/login': fc.oneof(
    { weight: 3, arbitrary: fc.record({ email: emailish, password: passwordish }) },
    { weight: 1, arbitrary: chaosAuthBody },
  ),
  '/v1/auth/refresh': fc.oneof(
    { weight: 3, arbitrary: fc.record({ refreshToken: refreshTokenish }) },
    { weight: 1, arbitrary: chaosAuthBody },
  ),
  '/v1/auth/logout': fc.oneof(
    { weight: 3, arbitrary: fc.record({ refreshToken: refreshTokenish }) },
    { weight: 1, arbitrary: chaosAuthBody },
  ),
  '/v1/auth/guest': fc.oneof(fc.constant({}), chaosAuthBody),
};
const productUpdate = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        title: fc.oneof(
          { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
          { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
          { weight: 1, arbitrary: fc.string({ unit: nastyUnit, minLength: 1, maxLength: 20 }) },
          { weight: 1, arbitrary: fc.string({ maxLength: 210 }) },
        ),
        priceAmount: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: 100_000_000 }) },
          fc.integer(),
          fc.double(),
          fc.constantFrom(1e300, -1, 100_000_001, 2 ** 31, 2 ** 53),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        title: fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 20 }),
          fc.constant('   '),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        priceAmount: fc.jsonValue({ maxDepth: 2 }),
        slug: slugText,
        currency: fc.constantFrom('EUR', 'usd'),
      },
      { requiredKeys: [] },
    ),
  },
);

describe('fuzz: identity', () => {
  beforeAll(async () => {
    const guests = await Promise.all(Array.from({ length: 20 }, () => ok('guest', client().POST('/v1/auth/guest'))));
    refreshPool.push(...guests.map((g) => g.refreshToken));
  });

  it.each([['/v1/auth/register'], ['/v1/auth/login'], ['/v1/auth/refresh'], ['/v1/auth/logout'], ['/v1/auth/guest']])(
    'POST %s with arbitrary bodies and content types never fails on the server',
    async (path) => {
      await fc.assert(
        fc.asyncProperty(body(authBodies[path]!), authorization, async (b, auth) => {
          const res = await send('POST', path, b, withAuth(auth));
          expectSane(`POST ${path} ${describeBody(b)} authorization ${JSON.stringify(auth)}`, res);
        }),
        runs(50),
      );
    },
    FUZZ_TIMEOUT,
  );
});

describe('fuzz: merchant writes', () => {
  const slugs: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++)
      slugs.push(await insertProduct({ title: `Fuzz target ${uniqueWord('f')}`, price: 1500 + i }));
  });

  it(
    'PATCH /v1/admin/products/:slug with arbitrary bodies and a merchant token never fails on the server',
    async () => {
      const token = await merchantToken();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...slugs), body(productUpdate), async (slug, b) => {
          const path = `/v1/admin/products/${slug}`;
          const res = await send('PATCH', path, b, { authorization: `Bearer ${token}` });
          expectSane(`PATCH ${path} ${describeBody(b)}`, res);
          // A body that names a valid new slug renames the product (seen with seed 1854625948); else it keeps its own.
          if (res.status === 200) expect([slug, renamedTo(b)]).toContain(res.body.product.slug);
        }),
        runs(60),
      );
    },
    FUZZ_TIMEOUT,
  );
});

/** The `slug` a fuzzed JSON body asks for, if it is one. */
function renamedTo(b: { text?: unknown }): string | undefined {
  try {
    const v = JSON.parse(String(b.text)) as { slug?: unknown };
    return typeof v?.slug === 'string' ? v.slug : undefined;
  } catch {
    return undefined;
  }
}

describe('fuzz: cart', () => {
  let token = '';
  const skus: string[] = [];
  beforeAll(async () => {
    token = (await ok('guest', client().POST('/v1/auth/guest'))).accessToken;
    const rows = await primary<{ sku: string }>(
      "select sku from product_variants where currency = 'USD' order by sku limit 5",
    );
    skus.push(...rows.map((r) => r.sku));
  });
  const skuish = fc.oneof(fc.constantFrom('MSH-00001-XS-NAVY', 'no-such', '', 'a/b', '..'), anyText, slugText);
  const cartItem = fc.oneof(
    fc.record(
      {
        sku: skuish,
        quantity: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), anyText as fc.Arbitrary<unknown>),
      },
      { requiredKeys: [] },
    ),
    jsonish,
  );
  // Header values must be byte strings (fetch refuses anything else), so junk is printable ASCII.
  const ifMatchHeader = fc.option(
    fc.oneof(
      fc.constantFrom('*', '"v0"', '"v1"', 'W/"v2"', '"v99999999999999999999"', 'v1'),
      fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/),
    ),
    { nil: undefined },
  );

  it(
    'POST /v1/cart/items and PATCH/DELETE /v1/cart/items/:sku with arbitrary input never fail on the server',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('POST', 'PATCH', 'DELETE'),
          fc.oneof(fc.constantFrom(...skus), skuish),
          body(cartItem),
          ifMatchHeader,
          async (method, sku, b, ifMatch) => {
            const path = method === 'POST' ? '/v1/cart/items' : `/v1/cart/items/${encodeURIComponent(sku)}`;
            const headers: Record<string, string> = { authorization: `Bearer ${token}` };
            if (ifMatch !== undefined) headers['if-match'] = ifMatch;
            const res = await send(method, path, b, headers);
            expectSane(`${method} ${path} ${describeBody(b)} if-match ${JSON.stringify(ifMatch)}`, res);
          },
        ),
        runs(80),
      );
      expect((await client(token).GET('/v1/cart')).response.status).toBe(200);
    },
    FUZZ_TIMEOUT,
  );
});
