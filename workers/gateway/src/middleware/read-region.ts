// The region a request reads in: from where Cloudflare says it arrived (`request.cf`: colo, country, continent),
// mapped by REPLICA_REGIONS (lib/db/regions.ts), and carried with the trace to every worker the request reaches, whose
// reads then try that region's replica first (lib/db/replicas.ts). Where READ_REGION_HEADER is on (the local stack
// and the tests only, never in production) an `x-read-region` header names the region instead, since `wrangler dev`
// gives every request the same local `cf`.
import type { MiddlewareHandler } from 'hono';
import { type Place, regionName, regionOf } from '../../../../lib/db/regions';
import { AppError } from '../../../../lib/errors';
import { currentTrace, enterTrace } from '../../../../lib/trace';
import { gatewayConfig } from '../config';
import type { GatewayApp } from '../types';

export const READ_REGION_HEADER = 'x-read-region';

export function readRegion(): MiddlewareHandler<GatewayApp> {
  return async function readRegionMiddleware(c, next) {
    const config = gatewayConfig(c.env);
    const trace = currentTrace();
    let region = regionOf(() => c.req.raw.cf as Place | undefined, config.REPLICA_REGIONS);
    const asked = config.READ_REGION_HEADER === 'true' ? c.req.header(READ_REGION_HEADER) : undefined;
    if (asked !== undefined) {
      const parsed = regionName.safeParse(asked.trim());
      if (!parsed.success) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Invalid ${READ_REGION_HEADER} header: ${parsed.error.issues[0]?.message}.`,
        );
      }
      region = parsed.data;
    }
    if (!trace || !region) return next();
    return enterTrace({ ...trace, region }, next);
  };
}
