// The read-after token: what it carries, and that only an unexpired token signed with the secret for this subject
// and this database, in its one canonical spelling, is believed (anything else is ignored: undefined).
import { describe, expect, it } from 'vitest';
import { canonicalLsn, laterLsn, parseReadAfter, signReadAfter, verifyReadAfter } from './read-after';

const secret = 'read_after_test_secret_0123456789abcdef';
const now = 1_764_500_000_000;
const merchant = { subject: 'merchant-1', system: '7441234567890123456' };

describe('read-after token', () => {
  it('carries the scope and WAL position it was signed for until it expires', async () => {
    const token = await signReadAfter(secret, { lsn: '16/b374d848', scope: 'catalog' }, merchant, 300, now);
    expect(token).toMatch(/^v2\.catalog\.16\/B374D848\.1764500300\.[A-Za-z0-9_-]{43}$/);
    const claim = { scope: 'catalog', lsn: '16/B374D848', issuedAt: now };
    expect(await verifyReadAfter(secret, token, merchant, 300, now)).toEqual(claim);
    expect(await verifyReadAfter(secret, token, merchant, 300, now + 299_000)).toEqual(claim);
    expect(await verifyReadAfter(secret, token, merchant, 300, now + 300_000)).toBeUndefined();
    const other = await signReadAfter(secret, { lsn: '0/10', scope: 'other' }, merchant, 300, now);
    expect(parseReadAfter(other, 300, now)).toEqual({ scope: 'other', lsn: '0/10', issuedAt: now });
  });

  it('is believed only for the subject that wrote and the database it wrote to', async () => {
    const token = await signReadAfter(secret, { lsn: '1/0', scope: 'other' }, merchant, 300, now);
    expect(await verifyReadAfter(secret, token, merchant, 300, now)).toBeDefined();
    // Another merchant holding it, or the same merchant's token against a database restored from elsewhere.
    expect(await verifyReadAfter(secret, token, { ...merchant, subject: 'merchant-2' }, 300, now)).toBeUndefined();
    expect(await verifyReadAfter(secret, token, { ...merchant, system: '7441234567890123457' }, 300, now)).toBe(
      undefined,
    );
    // Subject and system are signed apart: the same characters split elsewhere are another binding.
    const split = { subject: `${merchant.subject}744`, system: merchant.system.slice(3) };
    expect(await verifyReadAfter(secret, token, split, 300, now)).toBeUndefined();
  });

  it('ignores a forged, altered, foreign, old-format or malformed token', async () => {
    const token = await signReadAfter(secret, { lsn: '0/3000000', scope: 'other' }, merchant, 300, now);
    const [v, scope, lsn, exp, sig] = token.split('.') as [string, string, string, string, string];
    const bad = [
      undefined,
      '',
      'garbage',
      `${v}.${scope}.FF/FFFFFFFF.${exp}.${sig}`, // a later position, same signature
      `${v}.catalog.${lsn}.${exp}.${sig}`, // another scope
      `${v}.${scope}.${lsn}.${Number(exp) - 1}.${sig}`, // another expiry
      `${v}.${scope}.0/03000000.${exp}.${sig}`, // another spelling of the same position
      `${v}.${scope}.${lsn}.${exp}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      `v1.${lsn}.${exp}.${sig}`, // the first format (unbound): never believed again
      `v3.${scope}.${lsn}.${exp}.${sig}`,
      `${token}.`,
      `${token}${'x'.repeat(100)}`,
      await signReadAfter('another_secret_of_the_same_length_000000', { lsn, scope: 'other' }, merchant, 300, now),
      // Signed for longer than this deployment's TTL (made under other settings): not believed.
      await signReadAfter(secret, { lsn, scope: 'other' }, merchant, 3600, now),
    ];
    for (const t of bad) expect(await verifyReadAfter(secret, t, merchant, 300, now), String(t)).toBeUndefined();
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
