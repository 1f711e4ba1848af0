// The restore drill's check of the stock copies against the Durable Objects: every SKU copy the restored cluster has
// (`inventory_levels` with a version) is compared with the live InventoryDO's levels, asked through the admin API's
// stock check (GET /v1/admin/inventory-verify?skus=…&include=levels, admin role; 200 SKUs a call), with the stock
// check's own comparison (lib/admin/stock-difference.ts) taken at the drill's target: an object that changed after
// the target (or less than the copies' settling time before it) is ahead of the copy, not a difference; the same
// version with other figures, an object behind its copy, or an object without state while its copy has some is.
import type pg from 'pg';
import type { StockDifference } from '../../lib/admin/durable.schemas';
import { type Figures, figuresOfRow, type ObjectLevels, stockDifference } from '../../lib/admin/stock-difference';
import { createStorefrontClient } from '../../lib/client';
import type { DrillCheck } from './drill';

/** The live InventoryDOs' levels: a SKU with no entry in `levels` did not answer (it is in `failed`). */
export interface ObjectLevelsReader {
  levels(skus: string[]): Promise<{ levels: Map<string, ObjectLevels>; failed: { sku: string; error: string }[] }>;
}

/** SKUs per call: the stock check's page limit, and its `skus` parameter's length limit (4000 characters). */
export const OBJECT_PAGE = 200;
const SKUS_CHARS = 4000;

/** The SKUs in calls of at most OBJECT_PAGE, each list at most SKUS_CHARS long comma-joined. */
export function pagesOf(skus: string[]): string[][] {
  const pages: string[][] = [];
  let page: string[] = [];
  let chars = 0;
  for (const sku of skus) {
    if (page.length && (page.length === OBJECT_PAGE || chars + 1 + sku.length > SKUS_CHARS)) {
      pages.push(page);
      page = [];
      chars = 0;
    }
    chars += (page.length ? 1 : 0) + sku.length;
    page.push(sku);
  }
  if (page.length) pages.push(page);
  return pages;
}

/** Reads the objects' levels through a running stack's admin API, as the admin (a token from /v1/auth/login). */
export function apiObjectReader(o: {
  url: string;
  token: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}): ObjectLevelsReader {
  const api = createStorefrontClient(o.url, { token: o.token, headers: o.headers, timeoutMs: o.timeoutMs ?? 30_000 });
  return {
    async levels(skus) {
      const r = await api.GET('/v1/admin/inventory-verify', {
        params: { query: { skus: skus.join(','), include: 'levels', limit: OBJECT_PAGE } },
      });
      if (!r.data)
        throw new Error(`inventory-verify answered ${r.response.status}: ${r.error?.error.message ?? 'no body'}`);
      return {
        levels: new Map((r.data.levels ?? []).map((l) => [l.sku, l.object])),
        failed: r.data.failed,
      };
    },
  };
}

/** Signs in to a running stack (the drill's admin; the dev admin by default) and reads the objects through it. */
export async function loginObjectReader(o: { url: string; email: string; password: string }) {
  const api = createStorefrontClient(o.url, { timeoutMs: 15_000 });
  const login = await api.POST('/v1/auth/login', { body: { email: o.email, password: o.password } });
  if (!login.data) throw new Error(`admin sign-in at ${o.url} failed: ${login.response.status}`);
  return apiObjectReader({ url: o.url, token: login.data.accessToken });
}

export interface StockVsObjects {
  compared: number;
  /** Objects that changed after the target (or too shortly before it for the copy to have landed). */
  ahead: number;
  differences: StockDifference[];
  failed: { sku: string; error: string }[];
}

/** Every copy with a version (or only `skus`) against its object, as of `targetMs`. */
export async function compareStockWithObjects(
  rc: pg.Client,
  reader: ObjectLevelsReader,
  o: { targetMs: number; skus?: string[] },
): Promise<StockVsObjects> {
  const rows = (
    await rc.query(
      `select sku, on_hand, held, sold, max_per_customer, version from inventory_levels
       where version > 0 and ($1::text[] is null or sku = any($1)) order by sku`,
      [o.skus ?? null],
    )
  ).rows as Record<string, unknown>[];
  const copies = new Map<string, Figures>(rows.map((r) => [String(r.sku), figuresOfRow(r)]));
  const out: StockVsObjects = { compared: 0, ahead: 0, differences: [], failed: [] };
  for (const page of pagesOf([...copies.keys()])) {
    const answer = await reader.levels(page);
    out.failed.push(...answer.failed);
    for (const sku of page) {
      if (!answer.levels.has(sku)) {
        if (!answer.failed.some((f) => f.sku === sku)) out.failed.push({ sku, error: 'not in the answer' });
        continue;
      }
      const object = answer.levels.get(sku) ?? null;
      const copy = copies.get(sku)!;
      out.compared++;
      const d = stockDifference(sku, object, copy, o.targetMs);
      if (d) out.differences.push(d);
      else if (object && object.version > copy.version) out.ahead++;
    }
  }
  return out;
}

const figuresText = (f: Figures | null) =>
  f ? `on hand ${f.onHand}, held ${f.held}, sold ${f.sold}, v${f.version}` : 'no state';

/** The drill's line: "stock vs objects". */
export async function objectChecks(
  rc: pg.Client,
  reader: ObjectLevelsReader | undefined,
  o: { targetMs: number; skus?: string[] },
): Promise<DrillCheck[]> {
  const name = 'stock vs objects';
  if (!(await rc.query(`select to_regclass('public.inventory_levels') is not null as e`)).rows[0].e)
    return [{ name, ok: true, detail: 'n/a (no inventory_levels table)' }];
  if (!reader) return [{ name, ok: true, detail: 'not checked: no running stack to ask the InventoryDOs' }];
  let r: StockVsObjects;
  try {
    r = await compareStockWithObjects(rc, reader, o);
  } catch (e) {
    return [{ name, ok: false, detail: `could not ask the InventoryDOs: ${e instanceof Error ? e.message : e}` }];
  }
  const problems = [
    ...r.differences.map(
      (d) => `${d.sku}: ${d.problem} (object ${figuresText(d.object)}; copy ${figuresText(d.postgres)})`,
    ),
    ...r.failed.map((f) => `${f.sku}: no answer (${f.error})`),
  ];
  return [
    {
      name,
      ok: !problems.length,
      detail: problems.length
        ? `${r.differences.length} differ, ${r.failed.length} did not answer: ${problems.slice(0, 5).join('; ')}`
        : `${r.compared} SKU copies equal to their InventoryDO's levels (${r.ahead} objects changed since the target)`,
    },
  ];
}
