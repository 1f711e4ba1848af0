// What a refused add-to-cart tells the shopper: the known refusals in the shop's words, any other 4xx in the API's
// own words with its status (never a 503 that sends the shopper to retry), and only no answer or a 5xx as a 503.
import { describe, expect, it } from 'vitest';
import { refusalOf, topCategoryOf } from './product';

describe('add-to-cart refusals', () => {
  it('keeps the status and the message of a 4xx it has no words of its own for', () => {
    expect(refusalOf(422, 'VALIDATION_FAILED', 'At most 99 of one item.')).toEqual({
      status: 422,
      text: 'That could not be added: At most 99 of one item.',
    });
    expect(refusalOf(400, 'VALIDATION_FAILED', 'Bad SKU.')).toMatchObject({ status: 400 });
    expect(refusalOf(409, 'OUT_OF_STOCK', '')).toMatchObject({
      status: 409,
      text: expect.stringContaining('Not enough'),
    });
    expect(refusalOf(404, 'NOT_FOUND', 'x')).toMatchObject({ status: 404 });
  });

  it('answers 503 for no answer or a 5xx, with nothing added', () => {
    expect(refusalOf(0, undefined, 'no answer')).toMatchObject({ status: 503 });
    expect(refusalOf(502, 'UPSTREAM', 'x')).toMatchObject({
      status: 503,
      text: expect.stringContaining('nothing was added'),
    });
  });
});

describe('the current category of a product page', () => {
  it('is the top-level category of its path, by whole segments', () => {
    const nav = [{ slug: 'shirt' }, { slug: 'shirts' }, { slug: 'home' }];
    expect(topCategoryOf(nav, 'shirts/linen')).toBe('shirts');
    expect(topCategoryOf(nav, 'shirts')).toBe('shirts');
    expect(topCategoryOf(nav, 'shirt/x')).toBe('shirt');
    expect(topCategoryOf([{ slug: 'shirt' }], 'shirts/linen')).toBeUndefined();
  });
});
