import { describe, expect, it } from 'vitest';
import { etagOf, ifNoneMatchMatches } from './etag';

describe('catalog ETags', () => {
  it('are weak, quoted, derived from the body: the same body the same tag, another body another', async () => {
    const a = await etagOf('{"items":[]}');
    expect(a).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
    expect(await etagOf('{"items":[]}')).toBe(a);
    expect(await etagOf('{"items":[1]}')).not.toBe(a);
  });

  it('match If-None-Match by weak comparison, in a list, or as *', async () => {
    const tag = await etagOf('body');
    const bare = tag.slice(2);
    expect(ifNoneMatchMatches(tag, tag)).toBe(true);
    expect(ifNoneMatchMatches(bare, tag)).toBe(true); // strong form of the same tag: weak comparison
    expect(ifNoneMatchMatches('*', tag)).toBe(true);
    expect(ifNoneMatchMatches(` "other", ${tag} ,W/"x"`, tag)).toBe(true);
    expect(ifNoneMatchMatches('"other", W/"x"', tag)).toBe(false);
    expect(ifNoneMatchMatches(undefined, tag)).toBe(false);
    expect(ifNoneMatchMatches('', tag)).toBe(false);
    expect(ifNoneMatchMatches(bare.slice(1, -1), tag)).toBe(false); // unquoted: malformed, no match
    expect(ifNoneMatchMatches('*, "x"', tag)).toBe(false); // * only stands alone
  });
});
