// What archive_batch_commit's refusals become (archive.store.ts `commitRefusal`): the SQL that raises them runs in
// test/e2e/archive.test.ts ("an archive commit behind a stuck copy" raises 55P03 after its lock timeout).
import { describe, expect, it } from 'vitest';
import { isDbUnavailable } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { ARCHIVE_BUSY_RETRY_AFTER, commitRefusal } from './archive.store';

const pgError = (code: string) => Object.assign(new Error(`error ${code}`), { code });

describe('an archive commit refused by Postgres', () => {
  it('drops the batch when its hot rows changed (AR409)', () => {
    expect(commitRefusal(pgError('AR409'))).toBe('changed');
  });

  it('answers 503 with Retry-After behind a stuck copy (55P03, lock_timeout), not a 500 nor an outage', () => {
    const err = pgError('55P03');
    let thrown: unknown;
    try {
      commitRefusal(err);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).status).toBe(503);
    expect((thrown as AppError).retryAfter).toBe(ARCHIVE_BUSY_RETRY_AFTER);
    expect((thrown as AppError).message).toMatch(/stays pending/);
    expect(isDbUnavailable(err)).toBe(false); // the Postgres breaker does not count it
  });

  it('passes any other error on unchanged', () => {
    const err = pgError('23505');
    expect(() => commitRefusal(err)).toThrow(err);
  });
});
