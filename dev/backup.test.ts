// dev/backup.test.ts — backups and point-in-time restore (dev/backup/) against a real archiving primary (no mocks):
// one cluster from dev/postgres.ts with WAL archiving on, in a temp dir on free ports, and a folder backup store.
// Rows are written, a base backup taken, more rows written around a target time, and the restore into a new
// cluster must hold exactly the rows committed before the target; a damaged or altered backup object must stop
// the restore; the drill must pass on a whole copy. Steps build on each other, so they run in order.
// Run: npx vitest run --project tools dev/backup.test.ts

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, it, vi } from 'vitest';
import { type BackupAgent, type BackupSettings, backupSettings, startBackupAgent } from './backup/agent';
import { applyRetention, listBackups, type Manifest, planRetention, takeBaseBackup } from './backup/base';
import { flushArchive, integrityChecks, runDrill } from './backup/drill';
import { type ObjectLevelsReader, objectChecks } from './backup/object-check';
import { RESTORE_WAL, restore } from './backup/restore';
import { decodeFolderObject, encodeFolderObject } from './backup/sealed.mjs';
import {
  BackupIntegrityError,
  type BackupStore,
  FolderStore,
  getSealed,
  open,
  parseKey,
  putSealed,
  seal,
  sha256,
} from './backup/store';
import { firstMissingSegment, startWalShipper, walKey } from './backup/wal';
import { withFreePorts } from './ports';
import { type PgCluster, startPostgres } from './postgres';
import { sql } from './sql';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const key = parseKey(Buffer.alloc(32, 7).toString('base64'));
const log = (l: string) => console.log(`    ${l}`);

/** Rewrites a folder store object's file with another body and/or metadata (as damage or an attacker would). */
function rewriteObject(file: string, edit: (o: { body: Buffer; meta: Record<string, string> }) => typeof o) {
  const o = decodeFolderObject(file, fs.readFileSync(file));
  const e = edit({ body: Buffer.from(o.body), meta: { ...o.meta } });
  fs.writeFileSync(file, encodeFolderObject(e.body, e.meta));
}

const seg = (n: number, tl = 1) =>
  `${tl.toString(16).toUpperCase().padStart(8, '0')}00000000${n.toString(16).toUpperCase().padStart(8, '0')}`;

describe('sealing and retention (no server)', () => {
  it('a sealed object opens only unaltered, under its own key, with its own backup key', () => {
    const sealed = seal(key, 'a/b', Buffer.from('hello'));
    assert.equal(open(key, 'a/b', sealed).toString(), 'hello');
    const flipped = Buffer.from(sealed);
    flipped[30]! ^= 1;
    assert.throws(() => open(key, 'a/b', flipped), BackupIntegrityError);
    assert.throws(() => open(key, 'a/c', sealed), BackupIntegrityError); // moved to another key
    assert.throws(() => open(parseKey(Buffer.alloc(32, 8).toString('base64')), 'a/b', sealed), /sealed with key/);
    assert.throws(() => parseKey('short'), /32 bytes/);
  });

  it('backup settings: defaults, and a bad number or key is refused with the variable named', () => {
    const s = backupSettings('/d', {});
    assert.deepEqual(
      [s.store.where, s.spoolDir, s.keep, s.keepDays, s.intervalHours, s.archiveTimeoutS, s.key.dev],
      ['/d/backups', '/d/postgres/wal-spool', 3, 0, 24, 60, true],
    );
    assert.throws(() => backupSettings('/d', { BACKUP_KEEP: '0' }), /BACKUP_KEEP=0 must be a whole number ≥ 1/);
    assert.throws(() => backupSettings('/d', { ARCHIVE_TIMEOUT_S: 'soon' }), /ARCHIVE_TIMEOUT_S/);
    assert.equal(backupSettings('/d', { BACKUP_RETENTION_DAYS: '7' }).keepDays, 7);
    assert.throws(() => backupSettings('/d', { BACKUP_RETENTION_DAYS: '-1' }), /BACKUP_RETENTION_DAYS/);
    assert.throws(
      () => backupSettings('/d', { BACKUP_ENCRYPTION_KEY: 'abc' }),
      /BACKUP_ENCRYPTION_KEY must be 32 bytes/,
    );
  });

  it('retention keeps the newest N backups (and any younger than N days) and the WAL from the oldest kept one on', () => {
    const m = (id: string, startWal: string) => ({ id, startWal, segmentBytes: 16 * 1024 * 1024 }) as Manifest;
    const backups = [
      m('1', '000000010000000000000002'),
      m('2', '000000010000000000000005'),
      m('3', '0000000100000001000000A0'),
    ];
    const keys = [
      's/base/1/manifest.json',
      's/base/1/part-0001',
      's/base/15/part-0001', // unfinished, older than the oldest kept
      's/base/2/manifest.json',
      's/base/2/part-0001',
      's/base/3/part-0001',
      's/base/4/part-0001', // unfinished, newer: perhaps in progress
      's/wal/000000010000000000000004',
      's/wal/000000010000000000000005',
      's/wal/000000010000000000000005.00000028.backup',
      's/wal/00000002.history',
      's/wal/0000000100000001000000A0',
    ];
    assert.deepEqual(planRetention(backups, keys, 2), [
      's/base/1/manifest.json',
      's/base/1/part-0001',
      's/base/15/part-0001',
      's/wal/000000010000000000000004',
    ]);
    assert.deepEqual(planRetention(backups, keys, 3), []);
    assert.deepEqual(
      planRetention(backups, keys, 1).filter((k) => k.includes('/wal/')),
      [
        's/wal/000000010000000000000004',
        's/wal/000000010000000000000005',
        's/wal/000000010000000000000005.00000028.backup',
      ],
    );
    // By age as well (BACKUP_RETENTION_DAYS): a backup younger than the window stays, however many there are.
    const now = Date.parse('2026-11-30T12:00:00Z');
    const aged = backups.map((b, i) => ({
      ...b,
      stoppedAt: new Date(now - (3 - i) * 86_400_000 + 3_600_000).toISOString(),
    }));
    assert.deepEqual(planRetention(aged, keys, 1, 3, now).length, 0); // 71, 47 and 23 hours old: all within 3 days
    assert.deepEqual(planRetention(aged, keys, 1, 2, now), planRetention(backups, keys, 2));
    assert.deepEqual(planRetention(aged, keys, 2, 1, now), planRetention(backups, keys, 2)); // the count wins
  });

  it('the folder store publishes body and metadata at once: overwrites racing reads never pair one with another', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-store-'));
    try {
      const store = new FolderStore(dir);
      const body = (i: number) => Buffer.alloc(256 * 1024, i);
      let reads = 0;
      for (let i = 0; i < 60; i++) {
        const [, , got] = await Promise.all([
          store.put('s/wal/x', body(i), { sha256: sha256(body(i)) }),
          store.put('s/wal/x', body(i + 100), { sha256: sha256(body(i + 100)) }),
          new Promise((r) => setImmediate(r)).then(() => store.get('s/wal/x')),
        ]);
        if (got) {
          reads++;
          assert.equal(sha256(got.body), got.meta.sha256, `read ${i}: a body with another put's checksum`);
        }
        const last = await store.get('s/wal/x');
        assert.equal(sha256(last!.body), last!.meta.sha256, `after ${i}: a body with another put's checksum`);
      }
      assert.ok(reads > 0);
      assert.deepEqual(fs.readdirSync(path.join(dir, 's', 'wal')), ['x']); // one file, no temp left
      assert.deepEqual(
        (await store.list('s/')).map((o) => [o.key, o.size]),
        [['s/wal/x', 256 * 1024]],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shippers: each spool file is put once however many drain it; a complete object is not overwritten; a dead claim is taken over; a failed put is given back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-ship-'));
    try {
      const spoolDir = path.join(dir, 'spool');
      fs.mkdirSync(spoolDir);
      const folder = new FolderStore(path.join(dir, 'store'));
      const puts: string[] = [];
      let failPuts = false;
      const store: BackupStore = {
        where: folder.where,
        put: async (k, b, m) => {
          if (failPuts) throw new Error('store full');
          puts.push(k);
          await folder.put(k, b, m);
        },
        get: (k) => folder.get(k),
        list: (p) => folder.list(p),
        delete: (k) => folder.delete(k),
      };
      const names = Array.from({ length: 12 }, (_, i) => seg(i + 1));
      for (const n of names) fs.writeFileSync(path.join(spoolDir, n), `wal ${n}`);
      const shippers = [1, 2, 3].map(() => startWalShipper({ spoolDir, store, key, systemId: 's', intervalMs: 0 }));
      const shipped = await Promise.all(shippers.map((sh) => sh.drain()));
      await Promise.all(shippers.map((sh) => sh.stop()));
      assert.equal(
        shipped.reduce((a, b) => a + b, 0),
        names.length,
      );
      assert.deepEqual(puts.sort(), names.map((n) => walKey('s', n)).sort());
      assert.deepEqual(fs.readdirSync(spoolDir), []);
      for (const n of names) {
        const got = await getSealed(store, key, walKey('s', n));
        assert.equal(zlib.gunzipSync(got!.plain).toString(), `wal ${n}`);
      }

      // Archived again (PostgreSQL may, after a crash): the stored object stays as it is, the spool copy goes.
      const before = fs.readFileSync(path.join(folder.where, 's', 'wal', names[0]!));
      fs.writeFileSync(path.join(spoolDir, names[0]!), `wal ${names[0]}`);
      // A claim left by a process that is gone (pid beyond pid_max) is shipped; a live process's claim is not.
      fs.writeFileSync(path.join(spoolDir, `${seg(20)}.shipping.99999999.abcd`), 'wal 20');
      fs.writeFileSync(path.join(spoolDir, `${seg(21)}.shipping.${process.pid}.abcd`), 'wal 21');
      puts.length = 0;
      const again = startWalShipper({ spoolDir, store, key, systemId: 's', intervalMs: 0 });
      assert.equal(await again.drain(), 2);
      assert.deepEqual(puts, [walKey('s', seg(20))]);
      assert.deepEqual(fs.readFileSync(path.join(folder.where, 's', 'wal', names[0]!)), before);
      assert.deepEqual(fs.readdirSync(spoolDir), [`${seg(21)}.shipping.${process.pid}.abcd`]);
      fs.rmSync(path.join(spoolDir, `${seg(21)}.shipping.${process.pid}.abcd`));

      // The store fails: the file is given back to the spool under its own name, and shipped on the next try.
      fs.writeFileSync(path.join(spoolDir, seg(22)), 'wal 22');
      failPuts = true;
      await assert.rejects(again.drain(), /store full/);
      assert.deepEqual(fs.readdirSync(spoolDir), [seg(22)]);
      failPuts = false;
      assert.equal(await again.drain(), 1);
      await again.stop();
      assert.deepEqual(fs.readdirSync(spoolDir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a gap in the archived WAL is found before recovery (up to the target's segment), not taken for the archive's end", () => {
    const b = { startWal: seg(3), stopWal: seg(4), segmentBytes: 16 * 1024 * 1024 };
    const at = (n: number) => `2026-11-30T12:${String(n).padStart(2, '0')}:00.000Z`;
    const files = (ns: number[], tl = 1) => ns.map((n) => ({ name: seg(n, tl), archivedAt: at(n) }));
    assert.equal(firstMissingSegment(files([1, 2, 3, 4, 5, 6, 7]), b), null);
    assert.equal(firstMissingSegment(files([3, 4, 6, 7]), b), seg(5));
    // The target's segment (the first archived at or after it) comes before the gap: nothing missing for it.
    assert.equal(firstMissingSegment(files([3, 4, 6, 7]), b, Date.parse(at(4)) - 1), null);
    assert.equal(firstMissingSegment(files([3, 4, 6, 7]), b, Date.parse(at(6)) - 1), seg(5));
    // The base backup's own WAL.
    assert.equal(firstMissingSegment(files([3]), b), seg(4));
    // Across a timeline switch (a restored primary carries on on timeline 2 from the segment it switched in).
    const tl2 = [...files([3, 4, 5]), { name: `${seg(6)}.partial` }, ...files([6, 7, 8], 2)];
    assert.equal(firstMissingSegment(tl2, b), null);
    assert.equal(
      firstMissingSegment(
        tl2.filter((f) => f.name !== seg(7, 2)),
        b,
      ),
      seg(7, 2),
    );
  });

  it('restore_command opens the same objects as the store: whole, and a wrong key named as such', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-rw-'));
    try {
      const store = new FolderStore(path.join(dir, 'store'));
      const plain = Buffer.from('one WAL segment');
      const keyFile = path.join(dir, 'key.hex');
      const marker = path.join(dir, 'marker');
      const out = path.join(dir, 'out');
      const run = (k: typeof key) => {
        fs.writeFileSync(keyFile, k.key.toString('hex'));
        return spawnSync(process.execPath, [RESTORE_WAL, store.where, 's', keyFile, marker, seg(1), out], {
          encoding: 'utf8',
          timeout: 10_000,
        }).status;
      };
      await putSealed(store, key, walKey('s', seg(1)), zlib.gzipSync(plain));
      assert.equal(run(key), 0);
      assert.deepEqual(fs.readFileSync(out), plain);
      assert.deepEqual(zlib.gunzipSync((await getSealed(store, key, walKey('s', seg(1))))!.plain), plain);
      assert.equal(run(parseKey(Buffer.alloc(32, 9).toString('base64'))), 200);
      assert.match(fs.readFileSync(marker, 'utf8'), /sealed with key [0-9a-f]{16}, but BACKUP_ENCRYPTION_KEY is key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.sequential('base backup + WAL archive + point-in-time restore', () => {
  let tmp!: string;
  let store!: FolderStore;
  let c!: PgCluster;
  let agent: BackupAgent | undefined;
  let settings!: BackupSettings;
  let systemId!: string;
  let first!: Manifest;
  let target!: string;
  let firstFailure: string | undefined;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-test-'));
    fs.chmodSync(tmp, 0o755); // the non-root "postgres" user must reach the data below it
    // The layout and settings of `npm run dev`, under tmp (dev/backup/agent.ts).
    settings = backupSettings(tmp, { BACKUP_ENCRYPTION_KEY: key.key.toString('base64'), BACKUP_KEEP: '2' });
    store = settings.store;
    c = await withFreePorts(2, ([p, r]) =>
      startPostgres({
        dataDir: path.join(tmp, 'postgres'),
        primaryPort: p!,
        replicaPort: r!,
        archive: { spoolDir: settings.spoolDir },
      }),
    );
    systemId = (await sql(c.primaryUrl, 'select system_identifier::text as s from pg_control_system()'))[0].s;
  });
  beforeEach((ctx) => {
    if (firstFailure) ctx.skip(`an earlier step failed: ${firstFailure}`);
    ctx.onTestFailed(() => {
      firstFailure ??= ctx.task.name;
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await c?.stop();
    if (firstFailure) console.error(`data and logs kept in ${tmp}`);
    else if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("the dev stack's agent ships the archived WAL and takes a base backup of the live primary, sealed", async () => {
    await sql(
      c.primaryUrl,
      'create table items (id int primary key, at timestamptz not null default clock_timestamp())',
    );
    await sql(c.primaryUrl, 'insert into items (id) select generate_series(1, 100)');
    agent = startBackupAgent({ settings, primaryUrl: c.primaryUrl, systemId, log });
    agent.schedule(0);
    const deadline = Date.now() + 30_000;
    while (!(await listBackups(store, key, systemId)).length) {
      assert.ok(Date.now() < deadline, 'no base backup within 30s of schedule(0)');
      await new Promise((r) => setTimeout(r, 100));
    }
    first = (await listBackups(store, key, systemId))[0]!;
    // Continuous archiving: a switched segment reaches the store by itself (the agent looks every second).
    await sql(c.primaryUrl, 'insert into items (id) values (0)');
    const wal = (await sql(c.primaryUrl, 'select pg_walfile_name(pg_switch_wal()) as w'))[0].w;
    while (!(await store.get(`${systemId}/wal/${wal}`))) {
      assert.ok(Date.now() < deadline + 10_000, `WAL ${wal} not shipped`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(first.parts.length >= 1);
    assert.match(first.labelFile, /START WAL LOCATION/);
    // Nothing in the store is readable without the key: no plain "items" or backup label anywhere.
    const part = await store.get(first.parts[0]!.key);
    assert.ok(part && !part.body.includes('START WAL') && part.meta.sha256 === first.parts[0]!.sha256);
    assert.deepEqual(
      (await listBackups(store, key, first.systemId)).map((b) => b.id),
      [first.id],
    );
  });

  it('a restarted agent takes no start-up base backup while the newest is younger than the interval', async () => {
    const again = startBackupAgent({ settings, primaryUrl: c.primaryUrl, systemId, log });
    try {
      const delay = await again.schedule(0);
      assert.ok(delay > 23 * 3_600_000 && delay <= 24 * 3_600_000, `the first base backup in ${delay} ms`);
    } finally {
      await again.stop();
    }
    assert.equal((await listBackups(store, key, systemId)).length, 1);
  });

  /** Everything committed so far archived and in the store (not left to the agent's timing). */
  const flush = async () => {
    const pc = new pg.Client({ connectionString: c.primaryUrl });
    await pc.connect();
    try {
      await flushArchive(pc, { systemId, spoolDir: settings.spoolDir }, store, key);
    } finally {
      await pc.end();
    }
  };

  it('restores into a new cluster exactly the rows committed before the target time', async () => {
    await sql(c.primaryUrl, 'insert into items (id) select generate_series(101, 150)');
    await new Promise((r) => setTimeout(r, 20));
    target = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await sql(c.primaryUrl, 'insert into items (id) select generate_series(151, 200)');
    await flush();
    const r = await restore({ store, key, restoreRoot: path.join(tmp, 'restores'), target, log });
    try {
      assert.notEqual(r.port, Number(new URL(c.primaryUrl).port));
      const rows = await sql(
        r.url,
        'select count(*)::int as n, max(id) as max, min(id) as min, bool_and(at < $1) as before from items',
        [target],
      );
      assert.deepEqual(rows, [{ n: 151, max: 150, min: 0, before: true }]);
      assert.equal(r.backup.id, first.id);
      assert.ok(r.reachedTarget);
      assert.ok(r.lastTransactionAt && r.lastTransactionAt <= target);
      assert.deepEqual(await sql(r.url, 'select pg_is_in_recovery() as r'), [{ r: false }]);
      // The primary is untouched.
      assert.equal((await sql(c.primaryUrl, 'select count(*)::int as n from items'))[0].n, 201);
    } finally {
      await r.stop();
    }
  });

  it('a tampered base backup part fails its checksum, and the restore refuses', async () => {
    const dataDirs = () =>
      fs.readdirSync(path.join(tmp, 'restores')).filter((d) => fs.existsSync(path.join(tmp, 'restores', d, 'data')));
    const before = dataDirs();
    const file = path.join(store.where, first.parts[0]!.key);
    const original = fs.readFileSync(file);
    const flip = (b: Buffer) => {
      b[100]! ^= 0xff;
      return b;
    };
    rewriteObject(file, (o) => ({ ...o, body: flip(o.body) }));
    try {
      await assert.rejects(
        restore({ store, key, restoreRoot: path.join(tmp, 'restores'), target, log }),
        (e: Error) => e instanceof BackupIntegrityError && /SHA-256 mismatch/.test(e.message),
      );
      // The store's checksum "fixed" to match: the manifest's own checksum of the part still refuses it.
      rewriteObject(file, (o) => ({ ...o, meta: { ...o.meta, sha256: sha256(o.body) } }));
      await assert.rejects(
        restore({ store, key, restoreRoot: path.join(tmp, 'restores'), target, log }),
        (e: Error) => e instanceof BackupIntegrityError && /SHA-256 mismatch/.test(e.message),
      );
    } finally {
      fs.writeFileSync(file, original);
    }
    // No restored data dir was left behind by the refused restores (only the one of the restore before).
    assert.deepEqual(dataDirs(), before);
  });

  it("restore_command: a segment comes out whole; a missing one is the archive's end (1); a damaged one aborts (200)", () => {
    const file = path.join(store.where, first.systemId, 'wal', first.stopWal);
    const keyFile = path.join(tmp, 'key.hex');
    fs.writeFileSync(keyFile, key.key.toString('hex'));
    const marker = path.join(tmp, 'integrity-failed');
    const out = path.join(tmp, 'segment');
    const run = (name: string) =>
      spawnSync(process.execPath, [RESTORE_WAL, store.where, first.systemId, keyFile, marker, name, out], {
        encoding: 'utf8',
        timeout: 10_000,
      }).status;
    assert.equal(run(first.stopWal), 0);
    assert.equal(fs.statSync(out).size, 16 * 1024 * 1024);
    assert.equal(run('0000000100000000000000FF'), 1);
    assert.equal(fs.existsSync(marker), false);
    // There but unreadable (here: a folder in its place) is not the end of the archive: recovery must not stop early.
    const unreadable = path.join(store.where, first.systemId, 'wal', '0000000100000000000000FE');
    fs.mkdirSync(unreadable);
    assert.equal(run('0000000100000000000000FE'), 200);
    assert.match(fs.readFileSync(marker, 'utf8'), /cannot be read/);
    fs.rmSync(unreadable, { recursive: true });
    fs.rmSync(marker);
    // Altered, with the store's checksum "fixed" to match: the GCM tag still catches it.
    const original = fs.readFileSync(file);
    rewriteObject(file, (o) => {
      o.body[o.body.length - 20]! ^= 0xff;
      return { body: o.body, meta: { ...o.meta, sha256: sha256(o.body) } };
    });
    try {
      assert.equal(run(first.stopWal), 200);
      assert.match(fs.readFileSync(marker, 'utf8'), /GCM authentication failed/);
      fs.rmSync(marker);
      // Altered, the checksum left as it was.
      rewriteObject(file, (o) => ({ ...o, meta: decodeFolderObject(file, original).meta }));
      assert.equal(run(first.stopWal), 200);
      assert.match(fs.readFileSync(marker, 'utf8'), /SHA-256 mismatch/);
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('the drill restores to now and verifies counts, contents, orders vs payments, stock copies, the objects and the archive', async () => {
    await sql(
      c.primaryUrl,
      `create table orders (id text primary key, total int not null);
       create table payments (order_id text primary key references orders, amount int not null);
       create table inventory_levels (sku text primary key, on_hand int, available int, held int, sold int, version int,
         max_per_customer int);
       insert into orders values ('o1', 500), ('o2', 750);
       insert into payments values ('o1', 500), ('o2', 750);
       insert into inventory_levels values ('A', 10, 7, 1, 2, 3, null);
       create table archive_batches (id bigint primary key, state text, manifest jsonb);
       create table order_archive (order_id text primary key, batch_id bigint);
       insert into order_archive values ('o0', 1)`,
    );
    // One archived batch (archival, workers/admin/src/archive.ts): order o0 and its payment, in the archive's bucket.
    const archived = Buffer.from(
      '{"table":"orders","row":{"id":"o0","total":300}}\n{"table":"payments","row":{"order_id":"o0","amount":300}}\n',
    );
    const counts = { orders: 1, orderLines: 0, payments: 1, orderEvents: 0, stockEvents: 0 };
    const manifest = { key: 'archive/batches/1/rows.ndjson.gz', counts, sha256: sha256(archived) };
    await sql(c.primaryUrl, `insert into archive_batches values (1, 'archived', $1::jsonb)`, [
      JSON.stringify(manifest),
    ]);
    const bucket = new Map([[manifest.key, zlib.gzipSync(archived)]]);
    // The live InventoryDOs (through the admin API in `npm run restore -- --drill`): A as its copy says.
    const objectA = { onHand: 10, held: 1, sold: 2, maxPerCustomer: null, version: 3, updatedAt: 0 };
    const objects = (a: typeof objectA): ObjectLevelsReader => ({
      levels: async (skus) => ({ levels: new Map(skus.map((s) => [s, s === 'A' ? a : null])), failed: [] }),
    });
    let wroteWhileCounting = false;
    const report = await runDrill({
      primaryUrl: c.primaryUrl,
      store,
      key,
      restoreRoot: path.join(tmp, 'restores'),
      log,
      archive: { get: async (k) => bucket.get(k) ?? null },
      objects: objects(objectA),
      // The tables are unlocked while the fingerprints are read: a write goes through at once, and is not counted.
      onUnlocked: async () => {
        await sql(
          c.primaryUrl,
          "set lock_timeout = '2s'; insert into inventory_levels values ('B', 1, 1, 0, 0, 1, null)",
        );
        wroteWhileCounting = true;
      },
    });
    await sql(c.primaryUrl, "delete from inventory_levels where sku = 'B'");
    assert.ok(wroteWhileCounting);
    log(JSON.stringify(report));
    assert.ok(report.ok, JSON.stringify(report.checks));
    assert.deepEqual(
      report.checks.map((x) => x.name),
      [
        'row counts',
        'row contents',
        'orders vs payments',
        'stock copies',
        'stock vs objects',
        'archive objects',
        'hot + archived rows',
        'answers queries',
      ],
    );
    assert.match(report.checks[0]!.detail, /6 tables, 208 rows/);
    assert.match(report.checks[4]!.detail, /^1 SKU copies equal to their InventoryDO's levels/);
    assert.match(report.checks[5]!.detail, /^1 batches/);
    assert.match(
      report.checks[6]!.detail,
      /^orders 2 hot \+ 1 archived = 3; order_lines 0 hot \+ 0 archived = 0; payments 2 hot \+ 1 archived = 3/,
    );
    assert.ok(report.rpoMs !== null && report.rpoMs >= 0 && report.rpoMs < 5000);
    assert.ok(!fs.existsSync(report.restoredDir));

    // The cross-checks find a payment that is not its order's total, and a stock copy that does not add up.
    await sql(
      c.primaryUrl,
      "update payments set amount = 1 where order_id = 'o2'; update inventory_levels set held = 5",
    );
    const pc = new pg.Client({ connectionString: c.primaryUrl });
    await pc.connect();
    try {
      const checks = await integrityChecks(pc);
      assert.deepEqual(
        checks.map((x) => [x.name, x.ok, x.detail]),
        [
          ['orders vs payments', false, 'o2: total 750, payment 1'],
          ['stock copies', false, 'A: on hand 10 ≠ 7+5+2'],
        ],
      );
      // A copy that is not its object's (here the object moved sold by one at the same version) is named.
      const [skewed] = await objectChecks(pc, objects({ ...objectA, sold: 3 }), { targetMs: Date.now() });
      assert.equal(skewed!.ok, false);
      assert.match(
        skewed!.detail,
        /^1 differ, 0 did not answer: A: differs \(object on hand 10, held 1, sold 3, v3; copy on hand 10, held 5, sold 2, v3\)/,
      );
    } finally {
      await pc.end();
    }
  });

  it("a target after the last archived commit recovers to the archive's end and says so", async () => {
    await flush();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const r = await restore({ store, key, restoreRoot: path.join(tmp, 'restores'), target: later, log });
    try {
      assert.equal(r.reachedTarget, false);
      assert.equal((await sql(r.url, 'select count(*)::int as n from items'))[0].n, 201);
    } finally {
      await r.stop();
    }
  });

  it('a WAL segment missing mid-archive stops the restore before recovery, naming it', async () => {
    await flush();
    const full = (await store.list(`${systemId}/wal/`))
      .map((o) => o.key.split('/').at(-1)!)
      .filter((n) => /^[0-9A-F]{24}$/.test(n) && n > first.stopWal);
    assert.ok(full.length >= 2, `WAL after the base backup: ${full.join(', ')}`);
    const gone = path.join(store.where, walKey(systemId, full[0]!));
    const aside = path.join(tmp, 'segment-aside');
    fs.renameSync(gone, aside);
    try {
      await assert.rejects(
        restore({ store, key, restoreRoot: path.join(tmp, 'restores'), log }),
        new RegExp(`WAL segment ${full[0]} is missing`),
      );
    } finally {
      fs.renameSync(aside, gone);
    }
  });

  it('no restore leaves the raw key on disk, the ones refused by the OS-user checks included', async () => {
    const keyFiles = () =>
      fs
        .readdirSync(path.join(tmp, 'restores'))
        .filter((d) => fs.existsSync(path.join(tmp, 'restores', d, 'restore.key')));
    const mode = fs.statSync(store.where).mode & 0o777;
    fs.chmodSync(store.where, 0o700); // root (running postgres as "postgres") reads it; that user cannot
    try {
      if (process.getuid?.() === 0)
        await assert.rejects(
          restore({ store, key, restoreRoot: path.join(tmp, 'restores'), log }),
          /the "postgres" OS user cannot read/,
        );
      else await (await restore({ store, key, restoreRoot: path.join(tmp, 'restores'), log })).stop();
    } finally {
      fs.chmodSync(store.where, mode);
    }
    assert.deepEqual(keyFiles(), []);
  });

  it('retention deletes the oldest base backup and the WAL only it needed', async () => {
    // A timeline history the primary has but no archiver queued (a restored cluster switched to): the backup ships it.
    const dataDir = (await sql(c.primaryUrl, 'show data_directory'))[0].data_directory as string;
    const history = path.join(dataDir, 'pg_wal', '0000000A.history');
    fs.writeFileSync(history, '9\t0/9000000\tno recovery target specified\n');
    const second = await takeBaseBackup({ primaryUrl: c.primaryUrl, store, key, keep: 2, log }).finally(() =>
      fs.rmSync(history),
    );
    const shipped = await getSealed(store, key, walKey(systemId, '0000000A.history'));
    assert.match(zlib.gunzipSync(shipped!.plain).toString(), /no recovery target specified/);
    assert.deepEqual(
      (await listBackups(store, key, first.systemId)).map((b) => b.id),
      [first.id, second.id],
    );
    const deleted = await applyRetention(store, key, first.systemId, 1);
    assert.ok(deleted.includes(`${first.systemId}/base/${first.id}/manifest.json`));
    assert.ok(deleted.some((k) => k.endsWith(`/wal/${first.startWal}`)));
    assert.deepEqual(
      (await listBackups(store, key, first.systemId)).map((b) => b.id),
      [second.id],
    );
    const wal = (await store.list(`${first.systemId}/wal/`)).map((o) => o.key.split('/').at(-1)!);
    assert.ok(wal.includes(second.startWal) && wal.every((n) => n.endsWith('.history') || n >= second.startWal));
  });
});
