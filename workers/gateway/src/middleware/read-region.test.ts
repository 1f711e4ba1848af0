// The read region of a request: request.cf mapped by REPLICA_REGIONS, carried in the trace; the x-read-region header
// only where READ_REGION_HEADER is on, and a malformed one a 400.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { currentTrace, enterTrace } from '../../../../lib/trace';
import type { GatewayApp } from '../types';
import { onError } from './errors';
import { readRegion } from './read-region';

const app = new Hono<GatewayApp>();
app.use('*', (_c, next) =>
  enterTrace({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, next),
);
app.use('*', readRegion());
app.onError(onError);
app.get('*', (c) => c.text(currentTrace()?.region ?? 'none'));

const map = 'continent:EU=eu,country:GB=uk,*=us';
async function regionOf(cf: object | undefined, vars: Record<string, string>, headers: Record<string, string> = {}) {
  const req = new Request('http://gateway.test/v1/categories', { headers });
  if (cf) Object.defineProperty(req, 'cf', { value: cf });
  const res = await app.request(req, undefined, vars);
  return { status: res.status, body: await res.text() };
}

describe('read region', () => {
  it('maps where the request arrived to its region', async () => {
    expect(await regionOf({ continent: 'EU', country: 'DE' }, { REPLICA_REGIONS: map })).toEqual({
      status: 200,
      body: 'eu',
    });
    expect(await regionOf({ continent: 'EU', country: 'GB' }, { REPLICA_REGIONS: map })).toEqual({
      status: 200,
      body: 'uk',
    });
    expect((await regionOf({ continent: 'AS' }, { REPLICA_REGIONS: map })).body).toBe('us');
    expect((await regionOf(undefined, {})).body).toBe('none');
  });

  it('lets x-read-region name it only where READ_REGION_HEADER is on, and refuses a malformed one', async () => {
    const eu = { continent: 'EU' };
    expect((await regionOf(eu, { REPLICA_REGIONS: map }, { 'x-read-region': 'us' })).body).toBe('eu');
    const on = { REPLICA_REGIONS: map, READ_REGION_HEADER: 'true' };
    expect((await regionOf(eu, on, { 'x-read-region': 'us' })).body).toBe('us');
    const bad = await regionOf(eu, on, { 'x-read-region': 'US; drop' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('VALIDATION_FAILED');
    expect((await regionOf(eu, { REPLICA_REGIONS: map }, { 'x-read-region': 'US; drop' })).status).toBe(200);
  });
});
