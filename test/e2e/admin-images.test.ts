// Merchant image uploads (issue 13): R2, content-addressed (the same bytes give the same URL and are stored once),
// the type read from the bytes (PNG, JPEG, WebP, GIF, AVIF; anything else 415), at most 5 MB (413), served by the
// gateway as immutable with the right Content-Type; only for merchants, and every stored image audited.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { guestToken } from './checkout-helpers';
import { api, client, gateway, ok, primary } from './helpers';
import { expectError } from './identity-helpers';
import { pngBytes, samples, upload } from './image-helpers';

const MAX = 5 * 1024 * 1024;

describe('image uploads', () => {
  it('stores an image once under the hash of its bytes and serves it immutable', async () => {
    const bytes = pngBytes();
    const first = await upload(bytes);
    expect(first.response.status).toBe(201);
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(first.data).toEqual({
      url: `/images/${hash}.png`,
      contentType: 'image/png',
      bytes: bytes.length,
      created: true,
    });
    // The same bytes again (even declared as another type): the same URL, nothing stored or recorded again.
    const again = await upload(bytes, undefined, 'image/gif');
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual({ ...first.data, created: false });
    expect(await primary('select action, outcome from audit_log where target_id = $1', [`${hash}.png`])).toEqual([
      { action: 'image.upload', outcome: 'succeeded' },
    ]);

    const served = await api(first.data!.url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    // Storefront pages on other sites embed them.
    expect(served.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const etag = served.headers.get('etag')!;
    const raw = await fetch(`${gateway()}${first.data!.url}`, { signal: AbortSignal.timeout(15_000) });
    expect(new Uint8Array(await raw.arrayBuffer())).toEqual(bytes);
    expect((await api(first.data!.url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // The weak form (a compressing proxy's) and a list match too.
    expect((await api(first.data!.url, { headers: { 'if-none-match': `W/${etag}` } })).status).toBe(304);
    expect((await api(first.data!.url, { headers: { 'if-none-match': `"other", ${etag}` } })).status).toBe(304);
    expect((await api(`/images/${'0'.repeat(64)}.png`)).status).toBe(404);
    expect((await api('/images/not-a-hash.png')).status).toBe(400);
  });

  it('reads the type from the bytes: JPEG, GIF, WebP and AVIF accepted, with their own extension', async () => {
    const ext = { 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'image/avif': 'avif' } as const;
    for (const [type, bytes] of Object.entries(samples()) as [keyof typeof ext, Uint8Array][]) {
      const answer = await ok(type, upload(bytes, undefined, 'application/octet-stream'));
      expect(answer).toMatchObject({ contentType: type, url: expect.stringMatching(new RegExp(`\\.${ext[type]}$`)) });
      expect((await api(answer.url)).headers.get('content-type')).toBe(type);
    }
  });

  it('refuses what is not an image (415), too large (413) or empty (400), storing nothing', async () => {
    const before = await primary('select count(*)::int as n from audit_log');
    const text = await upload(new TextEncoder().encode('<svg onload="alert(1)"></svg>'), undefined, 'image/png');
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(text.error?.error.message).toMatch(/PNG, JPEG, WebP, GIF and AVIF/);
    const big = new Uint8Array(MAX + 1);
    big.set(pngBytes());
    expectError(await upload(big), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await upload(new Uint8Array(0)), 400, 'VALIDATION_FAILED');
    expect(await primary('select count(*)::int as n from audit_log')).toEqual(before);
    // Exactly the maximum is fine.
    const max = new Uint8Array(MAX);
    max.set(pngBytes());
    max.set(crypto.getRandomValues(new Uint8Array(16)), MAX - 16);
    expect((await upload(max)).response.status).toBe(201);
  });

  it('is for merchants: 401 without a token, 403 for a shopper', async () => {
    expectError(
      await client().POST('/v1/admin/images', {
        body: pngBytes() as never,
        bodySerializer: (b: unknown) => b as never,
        headers: { 'content-type': 'image/png' },
      }),
      401,
      'UNAUTHORIZED',
    );
    expectError(await upload(pngBytes(), await guestToken()), 403, 'FORBIDDEN');
  });
});
