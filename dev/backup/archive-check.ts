// The restore drill's checks of the archive (workers/admin/src/archive.ts; docs/runbook.md#archival): the restored
// cluster's archive_batches says which batches were archived and what each held (its manifest); every batch's
// object must be in the bucket, unzip to the manifest's SHA-256, hold the manifest's row counts and the orders
// filed under it, with each archived order's payment equal to its total; no archived order may be hot as well; and
// the row counts are reported as hot + archived. Locally the bucket is the ARCHIVE bucket `wrangler dev` keeps under
// its persist folder, read through Miniflare as `wrangler r2 object get --local` reads it; in production, R2.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import type pg from 'pg';
import type { ArchiveCounts, ArchiveManifest } from '../../lib/admin/archive.schemas';
import { countsOf, parseNdjson } from '../../workers/admin/src/archive';
import type { DrillCheck } from './drill';

export interface ArchiveReader {
  get(key: string): Promise<Uint8Array | null>;
}

/** The ARCHIVE bucket's name in workers/admin/wrangler.toml (local R2 keeps objects under it). */
export const ARCHIVE_BUCKET = 'storefront-archive';

/** The local ARCHIVE bucket of a stack started with `wrangler dev --persist-to <persistTo>` (dev/stack/wrangler.ts). */
export async function localArchiveReader(persistTo: string): Promise<ArchiveReader & { close(): Promise<void> }> {
  // The Miniflare wrangler itself runs (its own copy, beside the workerd that wrote the bucket), not whichever
  // version another package hoisted: the local storage layout is theirs.
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));
  const { Miniflare, convertV4MiniflareOptions } = fromWrangler('miniflare') as typeof import('miniflare');
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
      resourcePersistencePath: path.join(persistTo, 'v3'),
      r2Buckets: { BUCKET: ARCHIVE_BUCKET },
    }),
  );
  const bucket = (await mf.getR2Bucket('BUCKET')) as unknown as {
    get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  };
  return {
    async get(key) {
      const o = await bucket.get(key);
      return o ? new Uint8Array(await o.arrayBuffer()) : null;
    },
    close: () => mf.dispose(),
  };
}

const TABLE_OF: Record<keyof ArchiveCounts, string> = {
  orders: 'orders',
  orderLines: 'order_lines',
  payments: 'payments',
  orderEvents: 'order_events',
  stockEvents: 'inventory_events',
};

const exists = async (c: pg.Client, table: string) =>
  (await c.query('select to_regclass($1) is not null as e', [table])).rows[0].e as boolean;

export async function archiveChecks(rc: pg.Client, reader: ArchiveReader | undefined): Promise<DrillCheck[]> {
  if (!(await exists(rc, 'public.archive_batches')))
    return [{ name: 'archive objects', ok: true, detail: 'n/a (no archive_batches table)' }];
  const batches = (
    await rc.query(`select b.id::int as id, b.manifest, (select count(*)::int from order_archive a where a.batch_id = b.id) as filed
      from archive_batches b where b.state = 'archived' order by b.id`)
  ).rows as { id: number; manifest: ArchiveManifest; filed: number }[];
  const archived: ArchiveCounts = { orders: 0, orderLines: 0, payments: 0, orderEvents: 0, stockEvents: 0 };
  const problems: string[] = [];
  let bytes = 0;
  if (batches.length && !reader) problems.push(`${batches.length} archived batches, and no archive to read them from`);
  for (const b of batches) {
    if (!reader) break;
    const m = b.manifest;
    const stored = await reader.get(m.key);
    if (!stored) {
      problems.push(`batch ${b.id}: ${m.key} missing`);
      continue;
    }
    let body: Buffer;
    try {
      body = zlib.gunzipSync(stored);
    } catch (e) {
      problems.push(`batch ${b.id}: ${m.key} does not unzip (${String(e)})`);
      continue;
    }
    bytes += stored.byteLength;
    const sha = crypto.createHash('sha256').update(body).digest('hex');
    if (sha !== m.sha256)
      problems.push(`batch ${b.id}: SHA-256 ${sha.slice(0, 12)}…, manifest ${m.sha256.slice(0, 12)}…`);
    const rows = parseNdjson(body.toString('utf8'));
    const counts = countsOf(rows);
    for (const k of Object.keys(counts) as (keyof ArchiveCounts)[]) {
      if (counts[k] !== m.counts[k])
        problems.push(`batch ${b.id}: ${counts[k]} ${TABLE_OF[k]} rows, manifest ${m.counts[k]}`);
      archived[k] += counts[k];
    }
    if (b.filed !== counts.orders)
      problems.push(`batch ${b.id}: ${b.filed} orders filed under it, ${counts.orders} in it`);
    const paid = new Map(rows.filter((r) => r.table === 'payments').map((r) => [r.row.order_id, Number(r.row.amount)]));
    for (const { row: o } of rows.filter((r) => r.table === 'orders'))
      if (paid.get(o.id) !== Number(o.total))
        problems.push(`batch ${b.id}: order ${o.id} total ${o.total}, payment ${paid.get(o.id) ?? 'missing'}`);
  }
  const [both] = (await rc.query('select count(*)::int as n from order_archive a join orders o on o.id = a.order_id'))
    .rows as { n: number }[];
  if (both!.n) problems.push(`${both!.n} archived orders are hot as well`);
  const hot: Record<string, number> = {};
  for (const t of Object.values(TABLE_OF))
    hot[t] = (await exists(rc, `public.${t}`))
      ? Number((await rc.query(`select count(*)::int as n from ${t}`)).rows[0].n)
      : 0;
  const totals = (Object.keys(TABLE_OF) as (keyof ArchiveCounts)[])
    .map((k) => `${TABLE_OF[k]} ${hot[TABLE_OF[k]]} hot + ${archived[k]} archived = ${hot[TABLE_OF[k]]! + archived[k]}`)
    .join('; ');
  return [
    {
      name: 'archive objects',
      ok: !problems.length,
      detail: problems.length
        ? problems.slice(0, 5).join('; ')
        : `${batches.length} batches (${bytes} bytes gzip): each object whole (SHA-256), its counts its manifest's, every order paid its total`,
    },
    { name: 'hot + archived rows', ok: !problems.length, detail: totals },
  ];
}
