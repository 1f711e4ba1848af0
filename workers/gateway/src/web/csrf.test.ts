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

  it('accepts only the canonical spelling of a token (the last character has padding bits atob ignores)', async () => {
    const sid = newSessionId();
    const token = await csrfToken(secret, sid, 'shop');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    // The other three characters whose significant bits are the same (43 characters carry 256 bits + 2 spare).
    const twins = [0, 1, 2, 3].map((i) => alphabet[(last & ~3) + i]!).filter((ch) => ch !== token.at(-1));
    expect(twins).toHaveLength(3);
    for (const ch of twins) expect(await csrfTokenValid(secret, sid, token.slice(0, -1) + ch, 'shop')).toBe(false);
    expect(await csrfTokenValid(secret, sid, token, 'shop')).toBe(true);
  });
});
