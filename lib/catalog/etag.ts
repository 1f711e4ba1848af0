// Validators for catalog answers (the browser tier of the cache): a weak ETag derived from the body (so the same
// body under a new catalog generation keeps its tag, and a browser's copy stays good across unrelated merchant
// writes), and the If-None-Match test of RFC 9110 §13.1.2 (weak comparison; `*` matches any current answer).
// Weak, since Cloudflare's compression turns a strong tag weak anyway.

/** `W/"…"`: the first 16 bytes of the body's SHA-256, base64url. */
export async function etagOf(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)));
  let bin = '';
  for (const b of digest.subarray(0, 16)) bin += String.fromCharCode(b);
  return `W/"${btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')}"`;
}

/** The opaque part of a tag, for weak comparison (`W/"x"` and `"x"` compare equal). */
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/**
 * Does an If-None-Match header match `etag`? `*`, or any tag of the comma-separated list under weak comparison.
 * A malformed header matches nothing (the full answer is sent).
 */
export function ifNoneMatchMatches(header: string | undefined | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const want = opaque(etag);
  // Tags are quoted strings that cannot hold a comma or a quote (RFC 9110 etagc), so a split on commas is exact.
  return header.split(',').some((t) => {
    const tag = opaque(t);
    return /^"[^"]*"$/.test(tag) && tag === want;
  });
}
