import { describe, expect, it } from 'vitest';
import type { CachedAnswer } from '../../../../lib/contracts/catalog';
import { CatalogMemo } from './catalog-memo';

const answer = (body = '{"items":[]}'): CachedAnswer => ({ body, cache: 'MISS', age: 0, cacheControl: 'public' });

describe('the gateway catalog memo', () => {
  it('answers a URL within its TTL as a hit of its own (age grown), and forgets it after', () => {
    const memo = new CatalogMemo(250);
    memo.set('/v1/products', answer(), 1000);
    expect(memo.get('/v1/products', 1100)).toEqual({ ...answer(), cache: 'HIT', age: 0.1 });
    expect(memo.get('/v1/products?limit=2', 1100)).toBeUndefined();
    expect(memo.get('/v1/products', 1250)).toBeUndefined();
    expect(memo.get('/v1/products', 1100)).toBeUndefined(); // gone, not merely hidden
  });

  it('keeps a stale answer stale, and never keeps an answer that is not public', () => {
    const memo = new CatalogMemo(250);
    memo.set('/stale', { ...answer(), cache: 'STALE' }, 1000);
    expect(memo.get('/stale', 1010)?.cache).toBe('STALE');
    memo.set('/private', { ...answer(), cacheControl: 'private, no-store' }, 1000);
    expect(memo.get('/private', 1010)).toBeUndefined();
  });

  it('keeps nothing with a TTL of 0, nor a body over its size bound', () => {
    const off = new CatalogMemo(0);
    off.set('/a', answer(), 1000);
    expect(off.get('/a', 1000)).toBeUndefined();
    const memo = new CatalogMemo(250);
    memo.set('/big', answer('x'.repeat(64 * 1024 + 1)), 1000);
    expect(memo.get('/big', 1000)).toBeUndefined();
  });

  it('holds at most 200 URLs, the least recently stored first out', () => {
    const memo = new CatalogMemo(10_000);
    for (let i = 0; i < 201; i++) memo.set(`/p/${i}`, answer(), 1000);
    expect(memo.get('/p/0', 1001)).toBeUndefined();
    expect(memo.get('/p/1', 1001)).toBeDefined();
    expect(memo.get('/p/200', 1001)).toBeDefined();
  });
});
