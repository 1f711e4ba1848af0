// The storefront's content-hashed files and the gateway's manifest match their sources (npm run shop:assets).
import { describe, expect, it } from 'vitest';
import { check } from './shop-assets';

describe('shop assets', () => {
  it('are built from the current sources', () => {
    expect(check(), 'run `npm run shop:assets` and commit the result').toEqual([]);
  });
});
