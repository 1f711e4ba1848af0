// The database settings through configOf: defaults, blank optional secrets, and errors that name the variable
// without showing a secret's value.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config';
import { dbSettings } from './client';

const url = 'postgres://shop:hunter2@db.example/shop';

describe('dbSettings', () => {
  it('reads the primary, treats a blank replica and proxy as absent, and defaults DB_TIMEOUT_MS to 1500, SLOW_QUERY_MS to 500, the replica lag bound to 5 s, the read-after wait to 250 ms', () => {
    expect(dbSettings({ DATABASE_URL: url, DATABASE_REPLICA_URL: '', NEON_LOCAL_PROXY: ' ' })).toEqual({
      DATABASE_URL: url,
      DATABASE_REPLICA_URL: undefined,
      NEON_LOCAL_PROXY: undefined,
      DB_TIMEOUT_MS: 1500,
      SLOW_QUERY_MS: 500,
      REPLICA_MAX_LAG_MS: 5000,
      REPLICA_LAG_CHECK_MS: 1000,
      READ_AFTER_WAIT_MS: 250,
    });
    expect(dbSettings({ DATABASE_URL: url, DB_TIMEOUT_MS: '3000' }).DB_TIMEOUT_MS).toBe(3000);
    expect(dbSettings({ DATABASE_URL: url, SLOW_QUERY_MS: '250' }).SLOW_QUERY_MS).toBe(250);
    expect(() => dbSettings({ DATABASE_URL: url, SLOW_QUERY_MS: '0' })).toThrow(/SLOW_QUERY_MS/);
    expect(dbSettings({ DATABASE_URL: url, READ_AFTER_WAIT_MS: '0' }).READ_AFTER_WAIT_MS).toBe(0);
    expect(() => dbSettings({ DATABASE_URL: url, READ_AFTER_WAIT_MS: '60000' })).toThrow(/READ_AFTER_WAIT_MS/);
  });

  it('names a missing primary, a bad replica (value hidden) and a timeout out of range', () => {
    expect(() => dbSettings({})).toThrow(ConfigError);
    expect(() => dbSettings({})).toThrow(/DATABASE_URL: .*\(it is not set\)/);
    let message = '';
    try {
      dbSettings({ DATABASE_URL: url, DATABASE_REPLICA_URL: 'mysql://shop:hunter2@replica', DB_TIMEOUT_MS: '0' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/DATABASE_REPLICA_URL: expected a postgres:\/\/ connection string \(a secret/);
    expect(message).toMatch(/DB_TIMEOUT_MS: .*\(got "0"\)/);
    expect(message).not.toContain('hunter2');
  });
});
