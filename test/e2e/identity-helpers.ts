// Shared by the identity e2e files (identity.test.ts, identity-attacks.test.ts): account and session calls
// through the typed client, and the checks of the error and session answers.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Schemas } from '../../lib/client';
import { type ApiResponse, api, client, ok, primary, uniqueWord } from './helpers';

export const PASSWORD = 'a long enough password';
export const newEmail = () => `${uniqueWord('id')}@example.com`;
export const now = () => Math.floor(Date.now() / 1000);

/**
 * Moves a rotated refresh token's rotation back past REFRESH_REUSE_GRACE_SECONDS (30 in the test stack), as if
 * it had been rotated a minute ago: presented again now, it is reuse, not a concurrent refresh.
 */
export async function pastReuseGrace(refreshToken: string): Promise<void> {
  const hash = createHash('sha256').update(refreshToken).digest('hex');
  const rows = await primary(
    `update refresh_tokens set used_at = used_at - interval '60 seconds'
      where token_hash = $1 and used_at is not null returning 1`,
    [hash],
  );
  if (rows.length !== 1) throw new Error('pastReuseGrace: the token has not been rotated');
}

/** An answer of the typed client. */
export type Answer<T = unknown> = { data?: T; error?: Schemas['Error']; response: Response };
export type Session = Schemas['Session'];

/** The error shape, on an answer of the typed client or of a raw (hostile) request. */
export function expectError(answer: Answer | ApiResponse, status: number, code?: string) {
  const res =
    'response' in answer
      ? { status: answer.response.status, headers: answer.response.headers, body: answer.error as any }
      : answer;
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({
    code: expect.any(String),
    message: expect.any(String),
    requestId: expect.any(String),
  });
  if (code) expect(res.body.error.code).toBe(code);
  expect(res.headers.get('x-request-id')).toBe(res.body.error.requestId);
}

export function expectSession(res: Answer<Session>, status: number, role: string): Session {
  expect(res.response.status, JSON.stringify(res.error)).toBe(status);
  expect(res.data).toEqual({
    accessToken: expect.any(String),
    refreshToken: expect.any(String),
    tokenType: 'Bearer',
    expiresIn: 900,
    subject: expect.any(String),
    role,
  });
  expect(res.response.headers.get('cache-control')).toBe('no-store');
  return res.data!;
}

export const register = (email = newEmail(), password = PASSWORD) =>
  client().POST('/v1/auth/register', { body: { email, password } });
/** A new account's session (the call must succeed). */
export const registered = (email?: string) => ok('register', register(email));
/** Login, as the holder of `bearer` (a guest token) if given. */
export const login = (email: string, password: string, bearer?: string) =>
  client(bearer).POST('/v1/auth/login', { body: { email, password } });
export const refresh = (refreshToken: string) => client().POST('/v1/auth/refresh', { body: { refreshToken } });
export const categoriesAs = (token: string) => client(token).GET('/v1/categories');
/** Raw: for forged, altered and malformed Authorization headers the typed client would not send. */
export const categoriesWith = (authorization: string) => api('/v1/categories', { headers: { authorization } });
