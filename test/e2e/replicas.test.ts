// Regional read replicas (lib/db/replicas.ts): the test stack's two replicas stand for regions `us` (the first) and
// `eu`; a request names its region with `x-read-region` (accepted only where READ_REGION_HEADER is on: the local
// stack). Reads go to the region's replica, skip one lagging over REPLICA_MAX_LAG_MS (6 s here), fall back to another
// replica and then the primary, and a merchant's write is never hidden by a replica that has not replayed it.
// Serial (test/stack.config.ts): it pauses replay and stops replicas.
import { afterEach, describe, expect, it } from 'vitest';
import { testVars } from '../stack.config';
import { adminPatch, api, eventually, insertProduct, primary, replica, replicaEu, uniqueWord } from './helpers';
import { pgControl } from './pg-control';

const testLagBound = Number(testVars.REPLICA_MAX_LAG_MS);
const read = (slug: string, region: string) => api(`/v1/products/${slug}`, { headers: { 'x-read-region': region } });
const titleOn = async (db: typeof replica, slug: string) =>
  (await db<{ title: string }>('select title from products where slug = $1', [slug]))[0]?.title;

/** A product both replicas have. */
async function everywhere(title: string): Promise<string> {
  const slug = await insertProduct({ title });
  await eventually(
    'both replicas have it',
    async () => (await titleOn(replica, slug)) && (await titleOn(replicaEu, slug)),
  );
  return slug;
}

afterEach(async () => {
  await replica('select pg_wal_replay_resume()').catch(() => {});
  await pgControl('startAll');
  await replicaEu('select pg_wal_replay_resume()');
});

describe('regional replicas', () => {
  it("reads the replica of the request's region", async () => {
    const word = uniqueWord();
    const [inEu, inUs] = [await everywhere(`${word} Jug`), await everywhere(`${word} Cup`)];
    await replicaEu('select pg_wal_replay_pause()');
    await primary("update products set title = title || ' New' where slug = any($1)", [[inEu, inUs]]);
    await eventually('the us replica has the change', async () => (await titleOn(replica, inUs))?.endsWith(' New'));
    // Each product is read once, so each answer comes from the database, not the cache.
    const eu = await read(inEu, 'eu');
    expect(eu.status).toBe(200);
    expect(eu.body.title).toBe(`${word} Jug`); // eu has not replayed the change
    const us = await read(inUs, 'us');
    expect(us.status).toBe(200);
    expect(us.body.title).toBe(`${word} Cup New`);
  });

  it('skips a replica whose measured replay lag is over the bound', async () => {
    await replicaEu('select pg_wal_replay_pause()');
    const slug = await insertProduct({ title: `${uniqueWord()} Bowl` });
    // At first eu (paused, under the bound) answers that it has no such product; past the bound it is skipped.
    expect((await read(slug, 'eu')).status).toBe(404);
    const started = Date.now();
    await eventually('eu skipped', async () => (await read(slug, 'eu')).status === 200, testLagBound + 6000, 250);
    expect(Date.now() - started).toBeGreaterThan(testLagBound / 2); // not at once: the lag was measured
    expect(await titleOn(replicaEu, slug)).toBeUndefined(); // still paused: the answer came from elsewhere
  });

  it('falls back to another replica when one is stopped, then to the primary', async () => {
    await pgControl('stopReplicaEu');
    await replica('select pg_wal_replay_pause()');
    const missingOnUs = await insertProduct({ title: `${uniqueWord()} Plate` });
    // eu is down: the read goes to us (paused, so it has no such product), not to the primary.
    const fromUs = await read(missingOnUs, 'eu');
    expect(fromUs.status).toBe(404);
    await pgControl('stopReplica');
    const fromPrimary = await read(missingOnUs, 'eu');
    expect(fromPrimary.status).toBe(200);
  });

  it("never shows a merchant's write older than it, whichever replica the region reads", async () => {
    const word = uniqueWord();
    const slug = await everywhere(`${word} Tray`);
    expect((await read(slug, 'eu')).body.title).toBe(`${word} Tray`);
    await replicaEu('select pg_wal_replay_pause()');
    expect((await adminPatch(slug, { title: `${word} Tray Oak` })).status).toBe(200);
    const seen = await eventually(
      'the write, read in eu',
      async () => {
        const res = await read(slug, 'eu');
        return res.body.title === `${word} Tray Oak` ? res : undefined;
      },
      2000,
    );
    expect(seen.status).toBe(200);
    expect(await titleOn(replicaEu, slug)).toBe(`${word} Tray`); // eu itself still lags the write
  });

  it('refuses a malformed region header', async () => {
    const res = await api('/v1/categories', { headers: { 'x-read-region': 'EU; drop' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});
