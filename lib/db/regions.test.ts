// REPLICA_REGIONS: where a request arrived (request.cf) to the region it reads in.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configOf } from '../config';
import { regionMapVar, regionOf } from './regions';

const Vars = z.object({ REPLICA_REGIONS: regionMapVar });
const mapOf = (value: string | undefined) => configOf({ REPLICA_REGIONS: value }, Vars, 'test').REPLICA_REGIONS;

describe('REPLICA_REGIONS', () => {
  it('maps a colo over a country over a continent over *', () => {
    const map = mapOf('continent:EU=eu, country:gb=uk, colo:LHR=lon, continent:NA=us, *=us');
    expect(regionOf({ colo: 'LHR', country: 'GB', continent: 'EU' }, map)).toBe('lon');
    expect(regionOf({ colo: 'MAN', country: 'GB', continent: 'EU' }, map)).toBe('uk');
    expect(regionOf({ colo: 'FRA', country: 'DE', continent: 'EU' }, map)).toBe('eu');
    expect(regionOf({ colo: 'DFW', country: 'US', continent: 'NA' }, map)).toBe('us');
    expect(regionOf({ colo: 'SIN', country: 'SG', continent: 'AS' }, map)).toBe('us');
    expect(regionOf(undefined, map)).toBe('us');
  });

  it('is no region when blank, and names a bad entry', () => {
    expect(regionOf({ continent: 'EU' }, mapOf(undefined))).toBeUndefined();
    expect(regionOf({ continent: 'EU' }, mapOf(' '))).toBeUndefined();
    // No place named: where the request arrived is never read (request.cf is parsed when first read).
    const unread = () => {
      throw new Error('read');
    };
    expect(regionOf(unread, mapOf(undefined))).toBeUndefined();
    expect(regionOf(unread, mapOf('*=us'))).toBe('us');
    expect(regionOf(() => ({ continent: 'EU' }), mapOf('continent:EU=eu,*=us'))).toBe('eu');
    for (const bad of ['EU=eu', 'continent:EU=', 'planet:EA=eu', 'continent:EU=Europe West'])
      expect(() => mapOf(bad)).toThrow(/REPLICA_REGIONS/);
  });
});
