// Regions of the read replicas: which region a request reads in, from where Cloudflare says it arrived
// (`request.cf`: colo, country, continent), by the gateway's REPLICA_REGIONS map. The region travels with the trace
// (lib/trace.ts) to every worker the request reaches; lib/db/replicas.ts picks that region's replica first.
import { z } from 'zod';

/** A region's name, as DATABASE_REPLICAS and REPLICA_REGIONS spell it. */
export const regionName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a region name like "eu" or "us-east"');

/** Where a request arrived, as `request.cf` tells it (absent under some runtimes). */
export interface Place {
  colo?: unknown;
  country?: unknown;
  continent?: unknown;
}

/** The most specific key wins: a colo over a country over a continent over `*`. */
export interface RegionMap {
  colo: Record<string, string>;
  country: Record<string, string>;
  continent: Record<string, string>;
  fallback?: string;
}

const entry = /^(?:(colo|country|continent):([A-Za-z0-9]{2,3})|(\*))=(.+)$/;

/**
 * REPLICA_REGIONS: "continent:EU=eu,country:GB=eu,colo:LHR=eu,*=us" (comma-separated; keys in any case, stored upper
 * case). Unset or blank: no region, reads try the replicas in the order DATABASE_REPLICAS lists them.
 */
export const regionMapVar = z.preprocess(
  (v) => (typeof v === 'string' ? v : (v ?? '')),
  z.string().transform((value, ctx): RegionMap => {
    const map: RegionMap = { colo: {}, country: {}, continent: {} };
    for (const item of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const m = entry.exec(item);
      const region = m && regionName.safeParse(m[4]!.trim());
      if (!m || !region?.success) {
        ctx.addIssue({
          code: 'custom',
          message: `"${item}": expected <colo|country|continent>:<code>=<region> or *=<region>, region like "eu"`,
        });
        return z.NEVER;
      }
      if (m[3]) map.fallback = region.data;
      else map[m[1] as 'colo' | 'country' | 'continent'][m[2]!.toUpperCase()] = region.data;
    }
    return map;
  }),
);

/**
 * The region of a request that arrived at `place`, or undefined (then no replica is preferred). `place` may be a
 * getter, called only when the map names places: `request.cf` is parsed from JSON when first read, a cost every
 * request would pay for nothing under a map that is blank or only a fallback (the default).
 */
export function regionOf(place: Place | undefined | (() => Place | undefined), map: RegionMap): string | undefined {
  const named = hasKeys(map.colo) || hasKeys(map.country) || hasKeys(map.continent);
  if (!named) return map.fallback;
  const at = typeof place === 'function' ? place() : place;
  const key = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : '');
  return map.colo[key(at?.colo)] ?? map.country[key(at?.country)] ?? map.continent[key(at?.continent)] ?? map.fallback;
}

function hasKeys(o: Record<string, string>): boolean {
  for (const _ in o) return true;
  return false;
}
