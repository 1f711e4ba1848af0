// The read-after token: what it carries, and that only an unexpired token signed with the secret, in its one
// canonical spelling, is believed (anything else is ignored: undefined).
import { describe, expect, it } from 'vitest';
import { canonicalLsn, laterLsn, signReadAfter, verifyReadAfter } from './read-after';

const secret = 'read_after_test_secret_0123456789abcdef';
const now = 1_764_500_000_000;

describe('read-after token', () => {
  it('carries the WAL position it was signed for until it expires', async () => {
    const token = await signReadAfter(secret, '16/b374d848', 300, now);
    expect(token).toMatch(/^v1\.16\/B374D848\.1764500300\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyReadAfter(secret, token, 300, now)).toBe('16/B374D848');
    expect(await verifyReadAfter(secret, token, 300, now + 299_000)).toBe('16/B374D848');
    expect(await verifyReadAfter(secret, token, 300, now + 300_000)).toBeUndefined();
  });

  it('ignores a forged, altered, foreign or malformed token', async () => {
    const token = await signReadAfter(secret, '0/3000000', 300, now);
    const [v, lsn, exp, sig] = token.split('.') as [string, string, string, string];
    const bad = [
      undefined,
      '',
      'garbage',
      `${v}.FF/FFFFFFFF.${exp}.${sig}`, // a later position, same signature
      `${v}.${lsn}.${Number(exp) - 1}.${sig}`, // another expiry
      `${v}.0/03000000.${exp}.${sig}`, // another spelling of the same position
      `${v}.${lsn}.${exp}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      `v2.${lsn}.${exp}.${sig}`,
      `${token}.`,
      `${token}${'x'.repeat(100)}`,
      await signReadAfter('another_secret_of_the_same_length_000000', '0/3000000', 300, now),
      // Signed for longer than this deployment's TTL (made under other settings): not believed.
      await signReadAfter(secret, '0/3000000', 3600, now),
    ];
    for (const t of bad) expect(await verifyReadAfter(secret, t, 300, now), String(t)).toBeUndefined();
  });

  it('spells positions one way and picks the later of two', () => {
    expect(canonicalLsn('0/03000000')).toBe('0/3000000');
    expect(canonicalLsn('a/ff')).toBe('A/FF');
    expect(laterLsn(undefined, '0/10')).toBe('0/10');
    expect(laterLsn('0/10', undefined)).toBe('0/10');
    expect(laterLsn('1/0', '0/FFFFFFFF')).toBe('1/0');
    expect(laterLsn('0/10', '0/20')).toBe('0/20');
  });
});
