import { describe, expect, it } from 'vitest';
import { addressKey, cardKey, networkOf } from './address';

describe('shopper keys (client address, card)', () => {
  it('keep IPv4 whole and cut IPv6 to its /64, however it is written', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.7');
    expect(networkOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:0DB8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8::5')).toBe('2001:db8:0:0::/64');
  });

  it('hash the network: one key per /64, another for another network, none without an address', async () => {
    const a = await addressKey('2001:db8:1:2::1');
    expect(a).toMatch(/^addr:[0-9a-f]{32}$/);
    expect(await addressKey('2001:db8:1:2:ffff::77')).toBe(a);
    expect(await addressKey('2001:db8:1:3::1')).not.toBe(a);
    expect(await addressKey('203.0.113.7')).not.toContain('203');
    expect(await addressKey(undefined)).toBeNull();
  });

  it('hash a card fingerprint: stable, never the fingerprint itself, apart from address keys', async () => {
    const fp = 'Xt5EWLLDS7FJjR1c';
    const k = await cardKey(fp);
    expect(k).toMatch(/^pm:[0-9a-f]{32}$/);
    expect(await cardKey(fp)).toBe(k);
    expect(await cardKey('Xt5EWLLDS7FJjR1d')).not.toBe(k);
    expect(k).not.toContain(fp);
    expect((await addressKey(fp))!.slice(5)).not.toBe(k.slice(3));
  });
});
