// Inputs that the fuzz tests once found answering 500 (a NUL reaching Postgres, forged cursor keys Postgres
// cannot cast), pinned as regressions: each now gets a 400 with the public error shape.
import { describe, expect, it } from 'vitest';
import { type ApiResponse, api, insertProduct, merchantToken, uniqueWord } from '../helpers';
import { b64url, expectSane } from './inputs';

describe('inputs that once answered 500 now get a 400', () => {
  const expect4xx = async (what: string, res: ApiResponse) => {
    expectSane(what, res);
    expect(res.status).toBe(400);
  };
  const zeroUuid = '00000000-0000-0000-0000-000000000000';
  const noFilter = JSON.stringify(['', '']);

  it('a NUL in the search text (GET /v1/products?q=%00)', async () => {
    await expect4xx('GET /v1/products?q=%00', await api('/v1/products?q=%00'));
  });

  it('a NUL in the name at register', async () => {
    const b = { email: `${uniqueWord('nul')}@example.com`, password: 'a long enough password', name: 'a\u0000b' };
    await expect4xx(
      'POST /v1/auth/register',
      await api('/v1/auth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      }),
    );
  });

  it('a NUL in a product title (PATCH /v1/admin/products/:slug)', async () => {
    const slug = await insertProduct({ title: `Nul target ${uniqueWord('n')}` });
    const res = await api(`/v1/admin/products/${slug}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${await merchantToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'a\u0000b' }),
    });
    await expect4xx('PATCH title NUL', res);
  });

  it('a price cursor whose key is beyond int4', async () => {
    const cursor = b64url(JSON.stringify(['price_asc', [2 ** 31, zeroUuid], noFilter]));
    await expect4xx('price cursor 2^31', await api(`/v1/products?sort=price_asc&cursor=${cursor}`));
  });

  it('a newest cursor with an impossible timestamp', async () => {
    const cursor = b64url(JSON.stringify(['newest', ['2024-02-30 00:00:00Z', zeroUuid], noFilter]));
    await expect4xx('newest cursor Feb 30', await api(`/v1/products?cursor=${cursor}`));
  });

  it('a newest cursor whose time-zone offset is out of range', async () => {
    const cursor = b64url(JSON.stringify(['newest', ['1970-01-01T00:00:00.000000-99:99', zeroUuid], noFilter]));
    await expect4xx('newest cursor offset -99:99', await api(`/v1/products?cursor=${cursor}`));
  });

  it('a relevance cursor whose rank is not a number', async () => {
    const cursor = b64url(JSON.stringify(['relevance', ['e', zeroUuid], JSON.stringify(['lamp', ''])]));
    await expect4xx('relevance cursor "e"', await api(`/v1/products?q=lamp&cursor=${cursor}`));
  });
});
