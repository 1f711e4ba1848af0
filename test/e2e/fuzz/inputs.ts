// Shared inputs of the fuzz tests (fast-check): text that breaks parsers, drivers and encoders, query strings,
// bearer headers, JSON and non-JSON bodies with content types, and the property every answer must have
// (expectSane). Requests go out raw (./helpers api): malformed and hostile input is the point here.
import fc from 'fast-check';
import { expect } from 'vitest';
import { type ApiResponse, api, devAccounts } from '../helpers';

export const FUZZ_TIMEOUT = 60_000;
export const runs = (numRuns: number) => ({ numRuns, endOnFailure: true });

/** The property every answer must have. Throws (so fast-check shrinks and reports) with the request in the message. */
export function expectSane(what: string, res: ApiResponse) {
  const context = `${what} -> ${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type') ?? '', context).toContain('application/json');
    expect(res.body?.error, context).toMatchObject({
      code: expect.any(String),
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(res.body.error.code, context).toMatch(/^[A-Z_]+$/);
  }
}

/** Percent-encodes every byte, so any bytes (also invalid UTF-8) can be a path segment or query part. */
export const percentBytes = (bytes: Uint8Array) =>
  [...bytes].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');

/** Characters that break parsers, SQL drivers and encoders, mixed with ordinary graphemes. */
export const nastyUnit = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\u0001',
    '\u001f',
    '\u007f',
    '\u0085',
    '\u2028',
    '\u202e',
    '\ufeff',
    '\uffff',
    '\u{10ffff}',
    '\u{1f600}',
  ),
  fc.constantFrom(
    "'",
    '"',
    '\\',
    '%',
    '%00',
    '&',
    '=',
    '+',
    '#',
    '?',
    '/',
    '..',
    '<',
    '>',
    ';',
    ':*',
    '!',
    '|',
    '(',
    ')',
    ' ',
    '\t',
    '\n',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);
export const anyText = fc.oneof(
  fc.string({ unit: nastyUnit, maxLength: 12 }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
);
export const numberText = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -5, max: 130 }).map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double().map(String),
  fc.constantFrom(
    '1e400',
    '-1e400',
    'NaN',
    'Infinity',
    '-0',
    '0x10',
    '1_000',
    '  7 ',
    '',
    '00024',
    '9007199254740993',
    '1e2',
  ),
);
export const slugText = fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}$/);
export const paramValue = fc.oneof(
  anyText,
  numberText,
  slugText,
  fc.constantFrom('relevance', 'newest', 'price_asc', 'price_desc', 'PRICE_ASC', 'linen shirt', 'kitchen'),
);
export const productParamName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('q', 'category', 'sort', 'limit', 'cursor') },
  { weight: 1, arbitrary: anyText },
  {
    weight: 1,
    arbitrary: fc.constantFrom('Q', 'LIMIT', 'q[]', 'limit[0]', '__proto__', 'constructor', 'offset', 'page'),
  },
);
/** Query parameters as [name, value] pairs; a name may repeat (an array in the query string). */
export const queryParams = (names: fc.Arbitrary<string>) =>
  fc
    .array(
      fc.tuple(
        names,
        fc.oneof(
          { weight: 4, arbitrary: paramValue },
          { weight: 1, arbitrary: fc.array(paramValue, { minLength: 2, maxLength: 3 }) },
        ),
      ),
      {
        maxLength: 6,
      },
    )
    .map((pairs) =>
      pairs.flatMap(([k, v]) =>
        Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]],
      ),
    );
export const toQuery = (pairs: [string, string][]) => {
  const search = new URLSearchParams();
  for (const [k, v] of pairs) search.append(k, v);
  const text = search.toString();
  return text ? `?${text}` : '';
};
/** Raw query strings that URLSearchParams would never write: stray %, invalid UTF-8, bare keys, ;. */
export const rawQuery = fc.oneof(
  fc.uint8Array({ maxLength: 20 }).map((b) => `?q=${percentBytes(b)}`),
  fc.constantFrom(
    '?',
    '?&&',
    '?q',
    '?q=',
    '?=x',
    '?q=%',
    '?q=%E0%A4%A',
    '?limit=%',
    '?limit=1;sort=newest',
    '?cursor=%FF%FE',
    '?q=a+b',
    '?category=%C4%B0',
  ),
);

/** Mostly no Authorization header; sometimes garbage, or a well-formed-looking but unsigned JWT. */
export const authorization = fc.oneof(
  { weight: 15, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.base64String(), fc.base64String(), fc.base64String())
      .map((p) => `Bearer ${p.join('.').replace(/[+/=]/g, '')}`),
  },
);
export const withAuth = (auth: string | undefined): Record<string, string> =>
  auth === undefined ? {} : { authorization: auth };

export const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }),
  fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
  fc.object({ maxDepth: 3 }),
);
export const emailish = fc.oneof(
  { weight: 3, arbitrary: slugText.map((s) => `${s}@example.com`) },
  slugText.map((s) => ` ${s.toUpperCase()}@EXAMPLE.COM `),
  fc.emailAddress(),
  fc.constantFrom('merchant', 'admin').map((role) => devAccounts().find((a) => a.role === role)!.email),
  anyText,
);
export const passwordish = fc.oneof(
  { weight: 3, arbitrary: fc.constant('a long enough password') },
  fc.string({ minLength: 10, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 10, maxLength: 30 }),
  fc.string({ maxLength: 12 }),
  fc.string({ minLength: 195, maxLength: 210 }),
);

export interface Body {
  text: string;
  contentType: string | undefined;
}
export const contentType = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-patch+json',
      'application/ld+json',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
export const bodyText = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: structured.map((v) => ({ text: JSON.stringify(v) ?? 'null' })) },
    { weight: 3, arbitrary: jsonish.map((v) => ({ text: JSON.stringify(v) ?? 'null' })) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }))
        .map((text) => ({ text })),
    },
    {
      weight: 1,
      arbitrary: structured
        .map((v) => JSON.stringify(v) ?? '{}')
        .chain((t) => fc.nat({ max: t.length }).map((n) => ({ text: t.slice(0, n) }))),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 15_000, max: 40_000 })
        .map((n) => ({ text: JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(n) }) })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100, max: 3000 }).map((n) => ({ text: `${'['.repeat(n)}${']'.repeat(n)}` })),
    },
  );
export const body = (structured: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  fc.tuple(bodyText(structured), contentType).map(([b, type]) => ({ ...b, contentType: type }));

export function send(method: string, path: string, b: Body, headers: Record<string, string> = {}) {
  const all: Record<string, string> = { ...headers };
  if (b.contentType !== undefined) all['content-type'] = b.contentType;
  return api(path, { method, headers: all, body: b.text });
}
export const describeBody = (b: Body) =>
  `content-type ${JSON.stringify(b.contentType)} body ${JSON.stringify(b.text.slice(0, 200))}${b.text.length > 200 ? `… (${b.text.length} chars)` : ''}`;

export const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** Mostly absent, sometimes the value. */
export const rarely = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
