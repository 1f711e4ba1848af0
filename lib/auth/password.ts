// Password hashing: PBKDF2-SHA256 through WebCrypto (the same code runs in workerd and in Node for the dev
// seed), a 16-byte random salt per password, and a constant-time comparison.
// Iterations: OWASP's 600,000 for PBKDF2-SHA256. workerd used to refuse more than 100,000 (workerd issue
// #1346); the runtime here accepts 10,000,000 (test/workers/password.worker.test.ts measures it), so the
// bound is now CPU time. PASSWORD_ITERATIONS (gateway var) lowers it where a plan's CPU limit demands; each
// stored hash records its own count, so old hashes keep verifying after a change.
export const PBKDF2_ITERATIONS = 600_000;
/** Stored hashes above this are refused unverified: no crafted row can make a login burn minutes of CPU. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
const SCHEME = 'pbkdf2-sha256';

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function derive(password: string, salt: BufferSource, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${b64(salt)}$${b64(hash)}`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const subtle = crypto.subtle as SubtleCrypto & {
    timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean;
  };
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(a, b); // workerd
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True when `password` matches `stored`. A malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split('$');
  if (scheme !== SCHEME || !iterations || !salt || !hash) return false;
  const n = Number(iterations);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PBKDF2_ITERATIONS) return false;
  return equalBytes(await derive(password, unb64(salt), n), unb64(hash));
}

// Verified against when the email is unknown, so that both failures take the same time.
let decoy: Promise<string> | undefined;
export async function verifyAgainstDecoy(password: string, iterations = PBKDF2_ITERATIONS): Promise<false> {
  decoy ??= hashPassword('decoy password that matches nothing', iterations);
  await verifyPassword(password, await decoy);
  return false;
}
