// The console's sessions, CSRF checks, roles and headers over plain HTTP against the running stack (the browser
// journey is console-browser.test.ts): cookie attributes, the server-side refresh with the API's rotation, a
// shopper's credentials opening nothing, a merchant's 403 on the ops page, POSTs without a valid token or from
// another origin refused with nothing changed, and sign-out revoking the session.
import { describe, expect, it } from 'vitest';
import { ACCESS, Browser, REFRESH, SID } from './console-helpers';
import { adminPatch, client, devAccountToken, eventually, gateway, insertProduct, ok } from './helpers';
import { newEmail, PASSWORD, pastReuseGrace } from './identity-helpers';
import { workerLogLines } from './worker-log';

const cookieAttributes = ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict'];

describe('console sessions', () => {
  it('serves the sign-in form with a session id cookie and strict headers', async () => {
    const b = new Browser();
    const res = await b.request('/admin/sign-in');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // Not no-referrer: under it a browser's form POST says `Origin: null`, which the CSRF check refuses.
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const sid = b.last.find((c) => c.name === SID)!;
    expect(sid.value).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sid.attributes).toEqual(expect.arrayContaining(cookieAttributes));
    expect(sid.attributes.some((a) => /^domain=/i.test(a))).toBe(false);
    expect(await res.text()).toMatch(/<!doctype html>.*name="csrf" value="[A-Za-z0-9_-]{43}"/s);
  });

  it('signs an admin in with __Host- HttpOnly Secure SameSite=Strict cookies and a new session id', async () => {
    const b = new Browser();
    await b.csrf();
    const planted = b.cookies.get(SID);
    const res = await b.signInAs('admin');
    expect(res.headers.get('location')).toBe('/admin/ops');
    for (const name of [ACCESS, REFRESH, SID]) {
      const c = b.last.find((x) => x.name === name);
      expect(c, name).toBeDefined();
      expect(c!.attributes, name).toEqual(expect.arrayContaining(cookieAttributes));
      expect(
        c!.attributes.some((a) => /^max-age=\d+$/i.test(a)),
        name,
      ).toBe(true);
    }
    expect(b.cookies.get(SID)).not.toBe(planted);
    const ops = await b.request('/admin/ops');
    expect(ops.status).toBe(200);
    expect(await ops.text()).toContain('data-figure="requests"');
  });

  it('refuses wrong credentials and a shopper, setting no session', async () => {
    const wrong = new Browser();
    const res = await wrong.signIn('admin@storefront.local', 'not-the-password');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Wrong email or password.');
    expect(wrong.cookies.has(ACCESS)).toBe(false);

    const email = newEmail();
    await ok('register', client().POST('/v1/auth/register', { body: { email, password: PASSWORD } }));
    const shopper = new Browser();
    const refused = await shopper.signIn(email, PASSWORD);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs the merchant or admin role');
    expect(shopper.cookies.has(ACCESS)).toBe(false);
    expect(shopper.cookies.has(REFRESH)).toBe(false);
    expect((await shopper.request('/admin')).headers.get('location')).toBe('/admin/sign-in');
  });

  it('gives a merchant the overview and a 403 page on the ops page', async () => {
    const b = new Browser();
    expect((await b.signInAs('merchant')).headers.get('location')).toBe('/admin');
    expect((await b.request('/admin')).status).toBe(200);
    const ops = await b.request('/admin/ops');
    expect(ops.status).toBe(403);
    expect(await ops.text()).toContain('needs the <strong>admin</strong> role');
    expect((await b.request('/admin/ops?part=figures')).status).toBe(403);
  });

  it('sends a visitor without a session to sign-in; a fragment answers 401; bad queries 400', async () => {
    const b = new Browser();
    const page = await b.request('/admin/ops');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/sign-in');
    expect((await b.request('/admin/ops?part=figures')).status).toBe(401);
    await b.signInAs('admin');
    expect((await b.request('/admin/ops?minutes=7')).status).toBe(400);
    expect((await b.request('/admin/ops?window=1')).status).toBe(400);
    const part = await b.request('/admin/ops?part=figures&minutes=15');
    expect(part.status).toBe(200);
    const text = await part.text();
    expect(text.startsWith('<div id="ops-live"')).toBe(true);
  });

  it('refreshes an expired access token server-side, rotating the refresh token', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    const refresh = b.cookies.get(REFRESH)!;
    // The access cookie lives as long as its token: a browser stops sending it once it has expired.
    b.cookies.delete(ACCESS);
    const res = await b.request('/admin/ops');
    expect(res.status).toBe(200);
    expect(b.last.map((c) => c.name)).toEqual(expect.arrayContaining([ACCESS, REFRESH]));
    expect(b.cookies.get(REFRESH)).not.toBe(refresh);

    // The session id cookie slides with the refresh cookie (it must not end first).
    const sid = b.last.find((c) => c.name === SID);
    expect(sid?.attributes).toEqual(expect.arrayContaining(['Max-Age=2592000']));

    // The old refresh token is used up: presented again after the reuse grace, the API revokes the family and the
    // session ends.
    await pastReuseGrace(refresh);
    const thief = new Browser();
    thief.cookies.set(SID, b.cookies.get(SID)!);
    thief.cookies.set(REFRESH, refresh);
    const stolen = await thief.request('/admin/ops');
    expect(stolen.status).toBe(303);
    expect(stolen.headers.get('location')).toBe('/admin/sign-in');
    expect(thief.cookies.has(REFRESH)).toBe(false);
    b.cookies.delete(ACCESS);
    expect((await b.request('/admin/ops')).status).toBe(303);
  });

  it('survives concurrent refreshes: two requests without an access token at once both succeed', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    b.cookies.delete(ACCESS);
    // Two tabs, or a click during the live tick: both present the same refresh token to the API.
    const [one, two] = await Promise.all([b.request('/admin/ops'), b.request('/admin/ops?part=figures')]);
    expect([one.status, two.status]).toEqual([200, 200]);
    b.cookies.delete(ACCESS);
    expect((await b.request('/admin/ops')).status).toBe(200);
  });

  it('keeps the session when the refresh is refused for a while (429), answering 503, and ends it on a 401', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    const refresh = b.cookies.get(REFRESH)!;
    // The auth limit counts the browser's address (10 a minute in the test stack): use it up.
    for (let i = 0; i < 12; i++)
      await client(undefined, b.ip).POST('/v1/auth/refresh', { body: { refreshToken: 'x' } });
    b.cookies.delete(ACCESS);
    const page = await b.request('/admin/ops');
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');
    expect(await page.text()).toContain('it is kept');
    const fragment = await b.request('/admin/ops?part=figures');
    expect(fragment.status).toBe(503);
    expect(b.cookies.get(REFRESH)).toBe(refresh);
    expect(b.cookies.has(SID)).toBe(true);
    // The token was neither revoked nor rotated: it still refreshes (from another address).
    const { response } = await client().POST('/v1/auth/refresh', { body: { refreshToken: refresh } });
    expect(response.status).toBe(200);
  });

  it('revokes the refresh token of cookies it drops (a refresh cookie without its session id)', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    const refresh = b.cookies.get(REFRESH)!;
    b.cookies.delete(SID);
    b.cookies.delete(ACCESS);
    const res = await b.request('/admin/ops');
    expect(res.status).toBe(303);
    expect(b.cookies.has(REFRESH)).toBe(false);
    const { response } = await client().POST('/v1/auth/refresh', { body: { refreshToken: refresh } });
    expect(response.status).toBe(401);
  });

  it('refuses a chunked form over 8 KB while it is read, before its end', async () => {
    const b = new Browser();
    const csrf = await b.csrf();
    const chunk = new TextEncoder().encode(`csrf=${csrf}&email=${'a'.repeat(4096)}`);
    let sent = 0;
    // The body never ends: only a limit applied while reading can answer.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent < 4) {
          sent++;
          controller.enqueue(chunk);
        } else await new Promise((r) => setTimeout(r, 500));
      },
    });
    const res = await fetch(`${gateway()}/admin/sign-in`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'cf-connecting-ip': b.ip,
      },
      signal: AbortSignal.timeout(15_000),
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('The form is too large.');
  });

  it("keeps the console's own traffic (pages and their in-process API calls) out of the figures it shows", async () => {
    const admin = client(await devAccountToken('admin'));
    const deadLetters = async () => {
      const { data } = await admin.GET('/v1/admin/ops/figures', { params: { query: { minutes: 15, top: 10 } } });
      const routes = data!.requests.routes;
      return {
        count: routes.find((r) => r.route === 'GET /v1/admin/dead-letters')?.requests ?? 0,
        consoleRoutes: routes.filter((r) => r.route.includes(' /admin')).map((r) => r.route),
      };
    };
    const before = (await deadLetters()).count;
    const b = new Browser();
    await b.signInAs('admin');
    // Each live tick reads the dead letters in-process (among five calls): three ticks, then one call of our own.
    for (let i = 0; i < 3; i++) expect((await b.request('/admin/ops?part=figures')).status).toBe(200);
    await ok('dead letters', admin.GET('/v1/admin/dead-letters', { params: { query: { limit: 1 } } }));
    // The rollup flushes everything pending at once, the console's rows (if any) no later than our call's.
    const after = await eventually(
      'our own call in the figures',
      async () => {
        const f = await deadLetters();
        return f.count > before ? f : undefined;
      },
      10_000,
      250,
    );
    expect(after.count).toBe(before + 1);
    expect(after.consoleRoutes).toEqual([]);
  });

  it('refuses a POST without the CSRF token or from another origin, and changes nothing', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await b.request('/admin/ops')).text())![1]!;
    const attempts: [string, RequestInit & { form?: Record<string, string> }][] = [
      ['no token', { method: 'POST', form: {} }],
      ['wrong token', { method: 'POST', form: { csrf: 'A'.repeat(43) } }],
      ['another origin', { method: 'POST', form: { csrf }, headers: { origin: 'https://evil.example' } }],
      ['origin hidden', { method: 'POST', form: { csrf }, headers: { origin: 'null' } }],
      ['cross-site fetch', { method: 'POST', form: { csrf }, headers: { 'sec-fetch-site': 'cross-site' } }],
    ];
    for (const [what, init] of attempts) {
      const res = await b.request('/admin/sign-out', init);
      expect(res.status, what).toBe(403);
      expect(b.last, what).toEqual([]);
    }
    // Another session's token does not fit this one.
    const other = new Browser();
    const otherCsrf = await other.csrf();
    expect((await b.request('/admin/sign-out', { method: 'POST', form: { csrf: otherCsrf } })).status).toBe(403);
    expect((await b.request('/admin/ops')).status).toBe(200);
    // A sign-in form posted without its token signs nobody in.
    const anon = new Browser();
    await anon.csrf();
    const login = await anon.request('/admin/sign-in', {
      method: 'POST',
      form: { email: 'admin@storefront.local', password: 'dev-admin-password' },
    });
    expect(login.status).toBe(403);
    expect(anon.cookies.has(ACCESS)).toBe(false);
  });

  it('signing in again revokes the session the browser held', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    const first = b.cookies.get(REFRESH)!;
    await b.signInAs('admin');
    expect(b.cookies.get(REFRESH)).not.toBe(first);
    const { response } = await client().POST('/v1/auth/refresh', { body: { refreshToken: first } });
    expect(response.status).toBe(401);
    expect((await b.request('/admin/ops')).status).toBe(200);
  });

  it('signs out: the cookies are cleared and the refresh token is revoked', async () => {
    const b = new Browser();
    await b.signInAs('admin');
    const refresh = b.cookies.get(REFRESH)!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await b.request('/admin')).text())![1]!;
    const res = await b.request('/admin/sign-out', { method: 'POST', form: { csrf } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/sign-in');
    for (const name of [ACCESS, REFRESH, SID]) {
      const cleared = b.last.find((c) => c.name === name);
      expect(cleared?.attributes, name).toEqual(expect.arrayContaining(['Max-Age=0']));
    }
    expect(b.cookies.size).toBe(0);
    expect((await b.request('/admin/ops')).status).toBe(303);
    const { response } = await client().POST('/v1/auth/refresh', { body: { refreshToken: refresh } });
    expect(response.status).toBe(401);
  });

  it('shows a merchant the audit log with the API filters; a bad filter is a 400 naming it', async () => {
    const slug = await insertProduct({ title: 'Console audit lamp' });
    const write = await adminPatch(slug, { title: 'Console audit lamp, renamed' });
    expect(write.status).toBe(200);
    const requestId = write.headers.get('x-request-id')!;

    const b = new Browser();
    await b.signInAs('merchant');
    const page = await b.request(`/admin/audit?action=product.update&targetType=product&actor=&from=`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(requestId);
    expect(text).toContain('Console audit lamp, renamed');
    const other = await (await b.request('/admin/audit?action=category.*')).text();
    expect(other).not.toContain(requestId);

    const bad = await b.request('/admin/audit?from=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Check the filters: VALIDATION_FAILED: .*from/);
    // The API call the page made is in the page's trace, with the page's request id as its correlation id.
    const pageRequest = bad.headers.get('x-request-id')!;
    const pageTrace = bad.headers.get('traceparent')!.split('-')[1];
    const line = await eventually('the API request line', async () =>
      workerLogLines(pageRequest).find((l) => l.msg === 'request' && l.path === '/v1/admin/audit'),
    );
    expect(line).toMatchObject({ correlationId: pageRequest, status: 400, traceId: pageTrace });
    expect((await b.request('/admin/audit?sort=asc')).status).toBe(400);
    expect((await new Browser().request('/admin/audit')).status).toBe(303);
  });
});
