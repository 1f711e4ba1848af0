// The catalog generation: the WAL position (LSN) of the newest merchant write, kept in KV.
// Catalog cache keys include it, so a write makes every cached catalog answer unreachable at once
// (no enumeration of keys to purge), and a cache fill for a generation only reads from a replica that has
// replayed at least that LSN, so the new generation is never filled with pre-write data.
export const GENERATION_KEY = 'catalog:generation';
export const INITIAL_GENERATION = '0/0';

/** Postgres LSN text ("16/B374D848") as a number that orders correctly. */
export function lsnToBigInt(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export async function readGeneration(kv: KVNamespace): Promise<string> {
  return (await kv.get(GENERATION_KEY, { cacheTtl: 30 })) ?? INITIAL_GENERATION;
}

/**
 * Publishes a write at `lsn`. KV has no compare-and-set, so two racing writers may publish out of order;
 * keeping the larger value narrows that, and CACHE_FRESH_SECONDS bounds what is left (see README).
 */
export async function publishGeneration(kv: KVNamespace, lsn: string): Promise<string> {
  const current = (await kv.get(GENERATION_KEY)) ?? INITIAL_GENERATION;
  const next = lsnToBigInt(lsn) > lsnToBigInt(current) ? lsn : current;
  if (next !== current) await kv.put(GENERATION_KEY, next);
  return next;
}
