// The Postgres -> ISO 8601 conversion behind every catalog timestamp.
import { describe, expect, it } from 'vitest';
import { isoFromPostgres } from './timestamps';

describe('isoFromPostgres', () => {
  it('turns Postgres timestamptz text into ISO 8601 UTC with milliseconds', () => {
    expect(isoFromPostgres('2025-12-03 06:20:08.396+00')).toBe('2025-12-03T06:20:08.396Z');
    expect(isoFromPostgres('2025-12-03 06:20:08.396512+00')).toBe('2025-12-03T06:20:08.396Z');
    expect(isoFromPostgres('2025-12-03 06:20:08+00')).toBe('2025-12-03T06:20:08.000Z');
    expect(isoFromPostgres('2025-12-03 06:20:08.5+00')).toBe('2025-12-03T06:20:08.500Z');
  });

  it('applies the offset of a session that is not in UTC', () => {
    expect(isoFromPostgres('2025-12-03 07:20:08.396+01')).toBe('2025-12-03T06:20:08.396Z');
    expect(isoFromPostgres('2025-12-03 01:50:08.396-04:30')).toBe('2025-12-03T06:20:08.396Z');
    expect(isoFromPostgres('2025-01-01 00:00:00+05:30')).toBe('2024-12-31T18:30:00.000Z');
    expect(isoFromPostgres('1900-01-01 00:00:00+00:53:28')).toBe('1899-12-31T23:06:32.000Z');
  });

  it('accepts ISO input as it is and refuses what is not a timestamp', () => {
    expect(isoFromPostgres('2025-12-03T06:20:08.396Z')).toBe('2025-12-03T06:20:08.396Z');
    expect(() => isoFromPostgres('infinity')).toThrow(/not a Postgres timestamptz/);
    expect(() => isoFromPostgres('yesterday')).toThrow(/not a Postgres timestamptz/);
  });
});
