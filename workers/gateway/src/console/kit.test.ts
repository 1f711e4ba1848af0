// The console's POST checks on a small app with the kit's own middleware: an image upload gets the API's image
// maximum as its body limit (a form keeps 8 KB) once a merchant is signed in (without a session: the sign-in
// redirect), and is refused without the session's CSRF token or from another origin (403), when it is not
// multipart or not an image (415), or too large (413, the body limit's own words), before any API call.
import { Hono } from 'hono';
import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_MAX_BYTES } from '../../../../lib/admin/catalog.schemas';
import { authKeys, type Identity, signAccessToken } from '../../../../lib/auth/tokens';
import { csrfToken, newSessionId } from '../web/csrf';
import {
  checkedForm,
  checkedUpload,
  imageProblem,
  MAX_FORM_BYTES,
  MAX_UPLOAD_BYTES,
  notices,
  postLimit,
  UPLOAD_TOO_LARGE,
} from './kit';
import type { ConsoleApp } from './session';

const secret = 'a-test-secret-of-at-least-32-characters';
const env: Record<string, string> = { CONSOLE_SESSION_SECRET: secret };
let sign: (who: Identity) => Promise<string>;
/** How many uploads reached the route's handler (a refusal by the body limit never does). */
let handled = 0;

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  env.JWT_SIGNING_KEY = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'k1' });
  const keys = await authKeys(env);
  sign = (who) => signAccessToken(keys, who);
});
const origin = 'https://shop.example';

const app = new Hono<ConsoleApp>();
app.post('*', postLimit);
app.post('/admin/products/:slug/images', async (c) => {
  handled++;
  const checked = await checkedUpload(c);
  if ('refusal' in checked) return checked.refusal;
  const problem = imageProblem(checked.form.get('image'));
  return problem ? c.text(problem.message, problem.status) : c.text('accepted');
});
app.post('/admin/products/:slug', async (c) => {
  const checked = await checkedForm(c);
  return 'refusal' in checked ? checked.refusal : c.text('accepted');
});

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
/** An image of `size` bytes: a real PNG, padded (decoders ignore what follows its end). */
const png = (size = PNG.length) =>
  new File([PNG, new Uint8Array(Math.max(0, size - PNG.length))], 'a.png', { type: 'image/png' });

async function session(role: Identity['role'] = 'merchant') {
  const sid = newSessionId();
  const access = await sign({ sub: 'm1', role });
  return { cookie: `__Host-console-sid=${sid}; __Host-console-access=${access}`, token: await csrfToken(secret, sid) };
}

async function upload(file: File, opts: { token?: string; cookie?: string; origin?: string } = {}) {
  const body = new FormData();
  if (opts.token) body.set('csrf', opts.token);
  body.set('image', file);
  const headers: Record<string, string> = { origin: opts.origin ?? origin, 'sec-fetch-site': 'same-origin' };
  if (opts.cookie) headers.cookie = opts.cookie;
  return app.request(`${origin}/admin/products/shirt/images`, { method: 'POST', body, headers }, env);
}

describe('the image upload form', () => {
  it('takes an image up to the API maximum, far above the 8 KB of a form', async () => {
    const s = await session();
    expect(MAX_UPLOAD_BYTES).toBeGreaterThan(IMAGE_MAX_BYTES);
    expect((await upload(png(), s)).status).toBe(200);
    const big = await upload(png(IMAGE_MAX_BYTES), s);
    expect(big.status, await big.text()).toBe(200);
  });

  it("refuses it without the CSRF token, with another session's token, or from another origin: 403", async () => {
    const s = await session();
    const other = await session();
    expect((await upload(png(), { cookie: s.cookie })).status).toBe(403);
    expect((await upload(png(), { cookie: s.cookie, token: other.token })).status).toBe(403);
    expect((await upload(png(), { ...s, origin: 'https://evil.example' })).status).toBe(403);
  });

  it('sends an upload without a merchant session to sign in, a shopper to the 403 page, unread', async () => {
    const s = await session();
    handled = 0;
    const anonymous = await upload(png(), { token: s.token });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/admin/sign-in');
    expect((await upload(png(), await session('customer'))).status).toBe(403);
    expect(handled).toBe(0);
  });

  it('refuses a file that is not an image, and a body that is not multipart: 415', async () => {
    const s = await session();
    const text = new File(['not an image'], 'notes.txt', { type: 'text/plain' });
    const res = await upload(text, s);
    expect(res.status).toBe(415);
    expect(await res.text()).toContain('Not an image (text/plain)');
    const form = await app.request(
      `${origin}/admin/products/shirt/images`,
      {
        method: 'POST',
        body: new URLSearchParams({ csrf: s.token }),
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      },
      env,
    );
    expect(form.status).toBe(415);
  });

  it('refuses an image over the maximum (413), and a body over the upload limit before it is read', async () => {
    const s = await session();
    const over = await upload(png(IMAGE_MAX_BYTES + 1), s);
    expect(over.status).toBe(413);
    expect(await over.text()).toContain('The image is too large: at most 5 MB');
    // Over the body limit: refused by it (its own words) before the route reads a byte, which it never runs.
    handled = 0;
    const cut = await upload(png(MAX_UPLOAD_BYTES + 1), s);
    expect(cut.status).toBe(413);
    expect(await cut.text()).toContain(UPLOAD_TOO_LARGE);
    expect(handled).toBe(0);
  });

  it('keeps the 8 KB limit for every other POST', async () => {
    const s = await session();
    const post = (size: number) =>
      app.request(
        `${origin}/admin/products/shirt`,
        {
          method: 'POST',
          body: new URLSearchParams({ csrf: s.token, title: 'x'.repeat(size) }),
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        },
        env,
      );
    expect((await post(100)).status).toBe(200);
    expect((await post(MAX_FORM_BYTES)).status).toBe(413);
  });

  it('names the problem of an empty or missing file', () => {
    expect(imageProblem(null)?.status).toBe(400);
    expect(imageProblem(new File([], 'a.png', { type: 'image/png' }))?.status).toBe(400);
    expect(imageProblem('text')?.status).toBe(400);
    expect(imageProblem(png())).toBeUndefined();
  });
});

describe('notices', () => {
  it("names only the table's own entries (not constructor or toString)", () => {
    const noticeOf = notices({ saved: 'Saved.' });
    expect(noticeOf('saved')).toBe('Saved.');
    for (const done of ['constructor', 'toString', '__proto__', 'other', '', undefined])
      expect(noticeOf(done), String(done)).toBeUndefined();
  });
});
