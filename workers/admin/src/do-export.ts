// Exports of the Durable Objects' state to R2 (the DO_EXPORTS bucket), for ops (docs/runbook.md#exporting-the-
// durable-objects). Durable Objects cannot be listed, so the objects come from the ids Postgres knows: every SKU a
// variant is sold under (InventoryDO), every shopper with an order (OrdersDO), every customer and every guest with a
// live session (CartDO). An object Postgres does not know of (a shopper whose only orders were never accepted)
// is not exported.
//
// One call exports one page (`pageSize` objects of one kind, asked through CheckoutOps) into one newline-delimited
// JSON file and answers the cursor of the next page; the call after the last page writes `manifest.json`: each
// file's key, records, bytes and SHA-256, the counts per kind, the time and the catalog generation. The run's
// settings are kept in R2 (`run.json`), so any admin worker may serve the next call, and a call repeated with the
// same cursor writes the same file again. A cursor is signed (HMAC-SHA256, lib/hmac.ts) with a random key of its
// run, kept in run.json: a cursor the run did not issue (forged, altered, another run's) is a 400 BAD_CURSOR, so
// no caller can make a run write a file it would not have written. A page's call to the objects is bounded as a
// whole (PAGE_OBJECTS_TIMEOUT_MS; the checkout worker answers by its own deadline, naming the objects it could not
// read). Layout: do-exports/<id>/{run.json, manifest.json, <kind>/<part>.ndjson}.
// Inventory records carry the stock check against Postgres' copy (stock-verify.ts), counted in the manifest.
import {
  DO_EXPORT_KINDS,
  type DoExportKind,
  type DoExportManifest,
  type DoExportProgress,
  type DoExportStart,
} from '../../../lib/admin/durable.schemas';
import { objectLevels, stockDifference } from '../../../lib/admin/stock-difference';
import { readGeneration } from '../../../lib/catalog/generation';
import { pgBreaker } from '../../../lib/db/breaker';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../../lib/db/errors';
import { AppError } from '../../../lib/errors';
import { hmacKey } from '../../../lib/hmac';
import { withTimeout } from '../../../lib/resilience';
import { unwrap } from '../../../lib/rpc';
import { checkoutOps } from './checkout-ops';
import { skuPage, stockCopies } from './stock-verify';

type Env = AdminEnv & DbEnv;

export const EXPORT_PREFIX = 'do-exports/';
/** Deadline of one R2 or KV call. */
const STORE_TIMEOUT_MS = 10_000;
/**
 * One page's call to the objects (CheckoutOps.exportObjects), as a whole: the checkout worker answers by its own
 * 20 s deadline (workers/checkout/src/do-export.ts CALL_DEADLINE_MS); this bounds the hop too (ms).
 */
const PAGE_OBJECTS_TIMEOUT_MS = 25_000;
/** R2 list pages read to build a manifest (1000 keys each): 100,000 files, far above any page count. */
const MAX_LIST_PAGES = 100;

/** What run.json keeps: the settings every page of the run uses. */
export interface ExportRun {
  exportId: string;
  startedAt: string;
  kinds: DoExportKind[];
  skus: string[] | null;
  subjects: string[] | null;
  pageSize: number;
  catalogGeneration: string | null;
  /** The key of the run's cursors' HMAC (32 random bytes, base64url); absent in runs started before they were signed. */
  cursorKey?: string;
}

/** Where a run is: the kind (index into run.kinds), the last id exported, the next file's number. */
export interface ExportCursor {
  k: number;
  after: string | null;
  part: number;
}

const b64url = (s: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const unb64url = (s: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));

const CURSOR_SCOPE = 'do-export-cursor:';

const bytesB64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** A new run's cursor key: 32 random bytes, base64url. */
export const newCursorKey = () => bytesB64url(crypto.getRandomValues(new Uint8Array(32)));

/** The MAC of a cursor's payload, for this run (its id is signed in too). */
async function cursorMac(run: Pick<ExportRun, 'exportId' | 'cursorKey'>, payload: string): Promise<ArrayBuffer> {
  const key = await hmacKey(run.cursorKey!);
  return crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${CURSOR_SCOPE}${run.exportId}:${payload}`));
}

const macText = (mac: ArrayBuffer) => bytesB64url(new Uint8Array(mac));

/** `<payload>.<HMAC>`: the position, base64url JSON, signed with the run's key. */
export async function encodeCursor(c: ExportCursor, run: Pick<ExportRun, 'exportId' | 'cursorKey'>): Promise<string> {
  const payload = b64url(JSON.stringify(c));
  return `${payload}.${macText(await cursorMac(run, payload))}`;
}

/** The cursor of a run's next page; a cursor this run did not issue is a 400 BAD_CURSOR. */
export async function decodeCursor(
  raw: string,
  run: Pick<ExportRun, 'exportId' | 'kinds' | 'cursorKey'>,
): Promise<ExportCursor> {
  const refused = () => new AppError('BAD_CURSOR', 'Not a cursor of this export.');
  if (!run.cursorKey) {
    throw new AppError('BAD_CURSOR', 'This export was started before its cursors were signed: start a new one.');
  }
  const dot = raw.lastIndexOf('.');
  if (dot < 1 || raw.length > 1000) throw refused();
  const payload = raw.slice(0, dot);
  // Compared as text of the same length: both are the base64url of a SHA-256 MAC.
  const expected = macText(await cursorMac(run, payload));
  const given = raw.slice(dot + 1);
  let diff = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ (given.charCodeAt(i) || 0);
  if (diff !== 0) throw refused();
  let c: unknown;
  try {
    c = JSON.parse(unb64url(payload));
  } catch {
    c = null;
  }
  const x = c as Partial<ExportCursor> | null;
  const ok =
    x !== null &&
    typeof x === 'object' &&
    Number.isInteger(x.k) &&
    x.k! >= 0 &&
    x.k! < run.kinds.length &&
    (x.after === null || (typeof x.after === 'string' && x.after.length > 0 && x.after.length <= 200)) &&
    Number.isInteger(x.part) &&
    x.part! >= 1 &&
    x.part! <= 99_999;
  if (!ok) throw refused();
  return { k: x.k!, after: x.after!, part: x.part! };
}

/** 20261130T175000Z-1a2b3c4d: sorts by time, unique. */
export function newExportId(now: Date, random = crypto.getRandomValues(new Uint8Array(4))): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${t}-${[...random].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export const partKey = (id: string, kind: DoExportKind, part: number) =>
  `${EXPORT_PREFIX}${id}/${kind}/${String(part).padStart(5, '0')}.ndjson`;

export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const bounded = <T>(p: Promise<T>, what: string) => withTimeout(p, STORE_TIMEOUT_MS, what);

/** POST /v1/admin/durable-objects/exports: a new run, and its first page. */
export async function startExport(env: Env, input: DoExportStart): Promise<DoExportProgress> {
  const now = new Date();
  const run: ExportRun = {
    exportId: newExportId(now),
    startedAt: now.toISOString(),
    // In the fixed order, whatever order they were named in.
    kinds: DO_EXPORT_KINDS.filter((k) => input.kinds.includes(k)),
    skus: input.skus ? [...new Set(input.skus)].sort() : null,
    subjects: input.subjects ? [...new Set(input.subjects)].sort() : null,
    pageSize: input.pageSize,
    // The catalog's state the export goes with (the LSN of the newest merchant write); null if KV did not answer.
    catalogGeneration: await bounded(readGeneration(env.CATALOG_META), 'catalog generation').catch(() => null),
    cursorKey: newCursorKey(),
  };
  await bounded(
    env.DO_EXPORTS.put(runKey(run.exportId), JSON.stringify(run), {
      httpMetadata: { contentType: 'application/json' },
    }),
    'R2 put run',
  );
  return exportPage(env, run, { k: 0, after: null, part: 1 });
}

/** POST /v1/admin/durable-objects/exports/{id}/pages: the page at `cursor`. */
export async function continueExport(env: Env, exportId: string, cursor: string): Promise<DoExportProgress> {
  const run = await readRun(env, exportId);
  return exportPage(env, run, await decodeCursor(cursor, run));
}

/** GET /v1/admin/durable-objects/exports/{id}: the manifest of a finished run. */
export async function exportManifest(env: Env, exportId: string): Promise<DoExportManifest> {
  const obj = await bounded(env.DO_EXPORTS.get(manifestKey(exportId)), 'R2 get manifest');
  if (!obj) {
    await readRun(env, exportId); // 404 if there is no such run at all
    throw new AppError('NOT_FOUND', 'This export is not finished: send its cursor to …/pages until done.');
  }
  return (await obj.json()) as DoExportManifest;
}

/** GET …/files/{kind}/{part}: one file of a run, as stored. */
export async function exportFile(env: Env, exportId: string, kind: DoExportKind, part: string): Promise<R2ObjectBody> {
  const obj = await bounded(env.DO_EXPORTS.get(`${EXPORT_PREFIX}${exportId}/${kind}/${part}`), 'R2 get file');
  if (!obj) throw new AppError('NOT_FOUND', 'No such file in this export.');
  return obj;
}

const runKey = (id: string) => `${EXPORT_PREFIX}${id}/run.json`;
const manifestKey = (id: string) => `${EXPORT_PREFIX}${id}/manifest.json`;

async function readRun(env: Env, exportId: string): Promise<ExportRun> {
  const obj = await bounded(env.DO_EXPORTS.get(runKey(exportId)), 'R2 get run');
  if (!obj) throw new AppError('NOT_FOUND', 'No such export.');
  return (await obj.json()) as ExportRun;
}

async function exportPage(env: Env, run: ExportRun, start: ExportCursor): Promise<DoExportProgress> {
  // Past the end of a kind, on to the next (one cheap query per empty kind), until a page has objects.
  let c = start;
  let ids: string[] = [];
  for (;;) {
    ids = await idPage(env, run, run.kinds[c.k]!, c.after, run.pageSize);
    if (ids.length > 0) break;
    if (c.k + 1 >= run.kinds.length) {
      const manifest = await writeManifest(env, run);
      return { exportId: run.exportId, done: true, cursor: null, wrote: null, manifest };
    }
    c = { k: c.k + 1, after: null, part: 1 };
  }
  const kind = run.kinds[c.k]!;
  const [answer, copies] = await Promise.all([
    withTimeout(checkoutOps(env).exportObjects(kind, ids), PAGE_OBJECTS_TIMEOUT_MS, `${kind} objects`),
    kind === 'inventory' ? stockCopies(env, ids) : Promise.resolve(null),
  ]);
  const { records, failed } = unwrap(answer);
  const now = Date.now();
  let differences = 0;
  const lines: string[] = [];
  for (const r of records) {
    if (r.state === null) continue; // an object with no state: nothing to export
    if (copies) {
      const difference = stockDifference(r.id, objectLevels(r.state), copies.get(r.id) ?? null, now);
      if (difference) differences++;
      lines.push(JSON.stringify({ kind, id: r.id, state: r.state, difference }));
    } else lines.push(JSON.stringify({ kind, id: r.id, state: r.state }));
  }
  // An object that did not answer is a line too: the file says what it lacks.
  for (const f of failed) lines.push(JSON.stringify({ kind, id: f.id, error: f.error }));
  const body = new TextEncoder().encode(lines.length ? `${lines.join('\n')}\n` : '');
  const sha256 = await sha256Hex(body);
  const key = partKey(run.exportId, kind, c.part);
  await bounded(
    env.DO_EXPORTS.put(key, body, {
      httpMetadata: { contentType: 'application/x-ndjson' },
      customMetadata: {
        sha256,
        asked: String(ids.length),
        records: String(lines.length - failed.length),
        failed: String(failed.length),
        differences: String(differences),
      },
      sha256,
    }),
    'R2 put part',
  );
  const wrote = { key, kind, records: lines.length - failed.length, bytes: body.byteLength, sha256 };
  const next: ExportCursor =
    ids.length < run.pageSize ? { k: c.k + 1, after: null, part: 1 } : { k: c.k, after: ids.at(-1)!, part: c.part + 1 };
  if (next.k >= run.kinds.length) {
    const manifest = await writeManifest(env, run);
    return { exportId: run.exportId, done: true, cursor: null, wrote, manifest };
  }
  return { exportId: run.exportId, done: false, cursor: await encodeCursor(next, run), wrote, manifest: null };
}

/** The next page of object ids of `kind`, in id order after `after`. */
async function idPage(env: Env, run: ExportRun, kind: DoExportKind, after: string | null, limit: number) {
  if (kind === 'inventory') return skuPage(env, after, limit, run.skus ?? undefined);
  if (run.subjects) return run.subjects.filter((s) => after === null || s > after).slice(0, limit);
  const settings = dbSettings(env);
  const text =
    kind === 'orders'
      ? 'select distinct owner_sub as id from orders where owner_sub > $1 order by 1 limit $2'
      : `select id from (select id::text as id from customers union
           select distinct subject from refresh_tokens where subject like 'guest:%' and expires_at > now()) s
         where id > $1 order by id limit $2`;
  try {
    const rows = (await pgBreaker.run(
      () =>
        withTimeout(
          sqlClient(settings.DATABASE_URL, settings).query(text, [after ?? '', limit]),
          settings.DB_TIMEOUT_MS + 1000,
          `${kind} ids`,
        ),
      isDbUnavailable,
    )) as { id: string }[];
    return rows.map((r) => r.id);
  } catch (err) {
    mapDbError(err);
  }
}

/** The manifest of every part file of the run, from their R2 metadata. */
export async function writeManifest(env: Env, run: ExportRun): Promise<DoExportManifest> {
  const files: DoExportManifest['files'] = [];
  const counts: DoExportManifest['counts'] = Object.fromEntries(
    run.kinds.map((k) => [k, { asked: 0, records: 0, failed: 0, differences: 0 }]),
  );
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const listed = await bounded(
      env.DO_EXPORTS.list({ prefix: `${EXPORT_PREFIX}${run.exportId}/`, cursor, include: ['customMetadata'] }),
      'R2 list',
    );
    for (const o of listed.objects) {
      const m = /\/(inventory|orders|carts)\/\d{5}\.ndjson$/.exec(o.key);
      if (!m) continue;
      const kind = m[1] as DoExportKind;
      const meta = o.customMetadata ?? {};
      const n = (k: string) => Number(meta[k] ?? 0);
      files.push({ key: o.key, kind, records: n('records'), bytes: o.size, sha256: meta.sha256 ?? '' });
      const c = counts[kind];
      if (c) {
        c.asked += n('asked');
        c.records += n('records');
        c.failed += n('failed');
        c.differences += n('differences');
      }
    }
    if (!listed.truncated) break;
    cursor = listed.cursor;
  }
  files.sort((a, b) => (a.key < b.key ? -1 : 1));
  const manifest: DoExportManifest = {
    exportId: run.exportId,
    format: 'ndjson',
    bucket: 'DO_EXPORTS',
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    catalogGeneration: run.catalogGeneration,
    scope: { kinds: run.kinds, skus: run.skus?.length ?? null, subjects: run.subjects?.length ?? null },
    counts,
    files,
  };
  await bounded(
    env.DO_EXPORTS.put(manifestKey(run.exportId), JSON.stringify(manifest, null, 2), {
      httpMetadata: { contentType: 'application/json' },
    }),
    'R2 put manifest',
  );
  return manifest;
}
