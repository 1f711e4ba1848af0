// Issue 11, finding 6: every POST /v1/auth/guest inserted a refresh_tokens row and nothing ever deleted one. Now
// the gateway's Cron Trigger prunes tokens expired or revoked more than a day ago (run here through wrangler's
// /__scheduled), and a guest session has a fixed life (GUEST_SESSION_TTL_DAYS, 7 days) that refreshing does not
// extend.
import { describe, expect, it } from 'vitest';
import { hashRefreshToken } from '../../lib/auth/tokens';
import { client, eventually, gateway, ok, primary } from './helpers';

const DAY_MS = 86_400_000;

/** A refresh_tokens row as the gateway writes it, with the times set by the test. */
async function insertToken(label: string, times: { expiresIn: string; revokedAgo?: string; usedAgo?: string }) {
  const hash = await hashRefreshToken(`prune-test-${label}-${crypto.randomUUID()}`);
  await primary(
    `insert into refresh_tokens (family_id, subject, role, token_hash, expires_at, used_at, revoked_at)
     values (gen_random_uuid(), $1, 'guest', $2, now() + $3::interval,
             now() - $4::interval, now() - $5::interval)`,
    [`guest:${crypto.randomUUID()}`, hash, times.expiresIn, times.usedAgo ?? null, times.revokedAgo ?? null],
  );
  return hash;
}
const exists = async (hash: string) =>
  (await primary('select 1 from refresh_tokens where token_hash = $1', [hash])).length === 1;

describe('refresh-token pruning (Cron Trigger)', () => {
  it('deletes tokens expired or revoked over a day ago and keeps every token that may still matter', async () => {
    const gone = {
      expired: await insertToken('expired', { expiresIn: '-2 days' }),
      revoked: await insertToken('revoked', { expiresIn: '20 days', revokedAgo: '2 days' }),
      usedAndExpired: await insertToken('used-expired', { expiresIn: '-3 days', usedAgo: '10 days' }),
    };
    const kept = {
      live: await insertToken('live', { expiresIn: '20 days' }),
      // Rotated but not expired: a replay of it must still be recognized as reuse (and revoke its family).
      used: await insertToken('used', { expiresIn: '20 days', usedAgo: '1 hour' }),
      justRevoked: await insertToken('just-revoked', { expiresIn: '20 days', revokedAgo: '1 hour' }),
      justExpired: await insertToken('just-expired', { expiresIn: '-1 hour' }),
    };
    for (const hash of [...Object.values(gone), ...Object.values(kept)]) expect(await exists(hash)).toBe(true);

    const run = await fetch(`${gateway()}/__scheduled?cron=23+*+*+*+*`, { signal: AbortSignal.timeout(15_000) });
    expect(run.status).toBe(200);

    await eventually('the pruned tokens to be gone', async () => {
      const left = await Promise.all(Object.values(gone).map(exists));
      return left.every((e) => !e);
    });
    for (const [what, hash] of Object.entries(kept)) expect(await exists(hash), what).toBe(true);
    const stale = await primary<{ n: number }>(
      `select count(*)::int as n from refresh_tokens
       where expires_at < now() - interval '1 day' or revoked_at < now() - interval '1 day'`,
    );
    expect(stale[0]!.n).toBe(0);
  });
});

describe('guest sessions expire', () => {
  it('last GUEST_SESSION_TTL_DAYS (7) from their start; a refresh rotates the token without extending it', async () => {
    const first = await ok('guest', client().POST('/v1/auth/guest'));
    const expiryOf = async (token: string) => {
      const [row] = await primary<{ expires_at: Date }>('select expires_at from refresh_tokens where token_hash = $1', [
        await hashRefreshToken(token),
      ]);
      return row!.expires_at.getTime();
    };
    const start = await expiryOf(first.refreshToken);
    expect(Math.abs(start - (Date.now() + 7 * DAY_MS))).toBeLessThan(60_000);

    const second = await ok(
      'refresh',
      client().POST('/v1/auth/refresh', { body: { refreshToken: first.refreshToken } }),
    );
    expect(second.subject).toBe(first.subject);
    expect(await expiryOf(second.refreshToken)).toBe(start);

    // At the end of its life the session is over: the refresh answers 401 and the guest must start a new one.
    await primary("update refresh_tokens set expires_at = now() - interval '1 second' where token_hash = $1", [
      await hashRefreshToken(second.refreshToken),
    ]);
    const late = await client().POST('/v1/auth/refresh', { body: { refreshToken: second.refreshToken } });
    expect(late.response.status).toBe(401);
  });
});
