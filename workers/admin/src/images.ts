// Product images in R2 (binding IMAGES), content-addressed: the key is the SHA-256 of the bytes plus the extension of
// the type the bytes are (sniffed from their magic numbers, never taken from a header), so the same image uploaded
// twice is one object and one URL, and a URL's bytes never change (the gateway serves them as immutable).

import { IMAGE_MAX_BYTES, OWN_IMAGE } from '../../../lib/admin/catalog.schemas';
import type { Actor } from '../../../lib/contracts/admin';
import { AppError } from '../../../lib/errors';
import { TimeoutError, withTimeout } from '../../../lib/resilience';
import { auditedCall, type PrimaryDb } from './audit';

export type ImagesEnv = { IMAGES: R2Bucket };

const formats = [
  { ext: 'png', type: 'image/png' },
  { ext: 'jpg', type: 'image/jpeg' },
  { ext: 'webp', type: 'image/webp' },
  { ext: 'gif', type: 'image/gif' },
  { ext: 'avif', type: 'image/avif' },
] as const;
export type ImageFormat = (typeof formats)[number];

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** The image format the bytes are, by their magic numbers; null for anything else. */
export function sniffImage(bytes: Uint8Array): ImageFormat | null {
  const b = bytes;
  const is = (sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
  if (is([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return formats[0];
  if (is([0xff, 0xd8, 0xff])) return formats[1];
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return formats[2];
  if (b.length >= 6 && /^GIF8[79]a$/.test(ascii(b, 0, 6))) return formats[3];
  // ISO-BMFF: a `ftyp` box whose major or a compatible brand is AVIF.
  if (b.length >= 16 && ascii(b, 4, 8) === 'ftyp') {
    const size = Math.min(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, b.length, 64);
    for (let at = 8; at + 4 <= size; at += 4) {
      if (at === 12) continue; // minor version
      if (['avif', 'avis'].includes(ascii(b, at, at + 4))) return formats[4];
    }
  }
  return null;
}

/** R2 answers within milliseconds; a put of the largest image (5 MB) gets the most time. */
const R2_TIMEOUT_MS = 10_000;

/** An R2 call bounded in time; one that does not answer is a 503 (an upload is audited pending: outcome unknown). */
function r2<T>(call: Promise<T>, what: string): Promise<T> {
  return withTimeout(call, R2_TIMEOUT_MS, `R2 ${what}`).catch((err) => {
    if (!(err instanceof TimeoutError)) throw err;
    throw new AppError('SERVICE_UNAVAILABLE', 'The image store did not answer in time; try again.', {
      retryAfter: 5,
      cause: err,
    });
  });
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** POST /v1/admin/images: stores the bytes once under their hash; the same bytes again change nothing. */
export async function uploadImage(
  env: ImagesEnv,
  primary: () => PrimaryDb,
  actor: Actor,
  body: ArrayBuffer | Uint8Array,
) {
  const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
  if (bytes.byteLength === 0) throw new AppError('VALIDATION_FAILED', 'The body is empty: send the image bytes.');
  if (bytes.byteLength > IMAGE_MAX_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `An image may have at most ${IMAGE_MAX_BYTES} bytes.`, {
      details: { maxBytes: IMAGE_MAX_BYTES },
    });
  }
  const format = sniffImage(bytes);
  if (!format) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Only PNG, JPEG, WebP, GIF and AVIF images are accepted.', {
      details: { accepted: formats.map((f) => f.type) },
    });
  }
  const hash = await sha256Hex(bytes);
  const key = `${hash}.${format.ext}`;
  const answer = { url: `/images/${key}`, contentType: format.type, bytes: bytes.byteLength };
  if (await r2(env.IMAGES.head(key), 'head')) return { ...answer, created: false };
  // R2 is not in the Postgres transaction: audited like a Durable Object write (pending first, then the put).
  await auditedCall(
    primary,
    actor,
    { action: 'image.upload', target: { type: 'image', id: key }, before: null },
    () => r2(env.IMAGES.put(key, bytes, { httpMetadata: { contentType: format.type }, sha256: hash }), 'put'),
    () => answer,
  );
  return { ...answer, created: true };
}

/** The uploaded images among `refs` that are not in the bucket (https URLs are the merchant's own business). */
export async function missingImages(env: ImagesEnv, refs: readonly string[]): Promise<string[]> {
  const own = refs.filter((r) => OWN_IMAGE.test(r));
  const found = await Promise.all(own.map((r) => r2(env.IMAGES.head(OWN_IMAGE.exec(r)![1]!), 'head')));
  return own.filter((_, i) => !found[i]);
}
