// CSRF tokens are bound to their site's scope: the same session id never gives a storefront form's token to a
// console form or the other way round (the console's own checks: console/console.test.ts).
import { describe, expect, it } from 'vitest';
import { csrfToken, csrfTokenValid, newSessionId } from './csrf';

const secret = 'a-test-secret-of-at-least-32-characters';

describe('CSRF scopes', () => {
  it('accept a token in its own scope only', async () => {
    const sid = newSessionId();
    const shop = await csrfToken(secret, sid, 'shop');
    const console = await csrfToken(secret, sid, 'console');
    expect(shop).not.toBe(console);
    expect(await csrfTokenValid(secret, sid, shop, 'shop')).toBe(true);
    expect(await csrfTokenValid(secret, sid, shop, 'console')).toBe(false);
    expect(await csrfTokenValid(secret, sid, console, 'shop')).toBe(false);
    // The console's default scope: its tokens as they were before scopes.
    expect(await csrfToken(secret, sid)).toBe(console);
  });
});
