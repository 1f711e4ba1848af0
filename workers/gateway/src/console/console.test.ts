// The console's pure pieces: CSRF tokens and the origin check, and the helpers that place figures on the charts.
import { describe, expect, it } from 'vitest';
import { csrfToken, csrfTokenValid, newSessionId, sameOrigin } from '../web/csrf';
import { fmt } from './charts';
import { minutesOf, money, onMinutes, percent } from './ops.data';

const secret = 'a-test-secret-of-at-least-32-characters';

describe('CSRF tokens', () => {
  it("accept the session's own token only", async () => {
    const sid = newSessionId();
    expect(sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const token = await csrfToken(secret, sid);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await csrfTokenValid(secret, sid, token)).toBe(true);
    expect(await csrfTokenValid(secret, newSessionId(), token)).toBe(false);
    expect(await csrfTokenValid(`${secret}x`, sid, token)).toBe(false);
    expect(await csrfTokenValid(secret, undefined, token)).toBe(false);
    expect(await csrfTokenValid(secret, sid, undefined)).toBe(false);
    expect(await csrfTokenValid(secret, sid, '')).toBe(false);
    expect(await csrfTokenValid(secret, sid, `${token}A`)).toBe(false);
    const flipped = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    expect(await csrfTokenValid(secret, sid, flipped)).toBe(false);
  });
});

describe('sameOrigin', () => {
  const post = (headers: Record<string, string>) =>
    new Request('https://shop.example/admin/sign-out', { method: 'POST', headers });

  it('takes same-origin requests and clients that say nothing (not browsers)', () => {
    expect(sameOrigin(post({ origin: 'https://shop.example', 'sec-fetch-site': 'same-origin' }))).toBe(true);
    expect(sameOrigin(post({}))).toBe(true);
  });

  it('refuses another origin, a hidden one (null) and cross-site or same-site fetches', () => {
    expect(sameOrigin(post({ origin: 'https://evil.example' }))).toBe(false);
    expect(sameOrigin(post({ origin: 'null' }))).toBe(false);
    expect(sameOrigin(post({ origin: 'http://shop.example' }))).toBe(false);
    expect(sameOrigin(post({ 'sec-fetch-site': 'cross-site' }))).toBe(false);
    expect(sameOrigin(post({ 'sec-fetch-site': 'same-site', origin: 'https://shop.example' }))).toBe(false);
  });
});

describe('chart helpers', () => {
  it('lists every minute of a window and places rows on them, gaps filled', () => {
    const minutes = minutesOf({ from: '2026-11-30T10:00:00.000Z', to: '2026-11-30T10:03:00.000Z' });
    expect(minutes).toEqual(['2026-11-30T10:00:00.000Z', '2026-11-30T10:01:00.000Z', '2026-11-30T10:02:00.000Z']);
    const rows = [{ minute: '2026-11-30T10:01:00Z', n: 7 }];
    expect(onMinutes(minutes, rows, (r) => r.n)).toEqual([0, 7, 0]);
    expect(onMinutes(minutes, rows, (r) => r.n, null)).toEqual([null, 7, null]);
  });

  it('formats figures, shares and money in minor units', () => {
    expect(fmt(1690.4, 'ms')).toBe('1,690 ms');
    expect(fmt(27.456)).toBe('27.5');
    expect(fmt(0.7383)).toBe('0.738');
    expect(fmt(12000)).toBe('12,000');
    expect(fmt(null)).toBe('–');
    expect(percent(0.0222)).toBe('2.22%');
    expect(percent(0.96)).toBe('96.0%');
    expect(percent(null)).toBe('–');
    expect(money(123456, 'USD')).toBe('$1,234.56');
    expect(money(1200, 'JPY')).toBe('¥1,200');
  });
});
