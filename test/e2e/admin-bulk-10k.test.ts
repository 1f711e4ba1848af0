// 10,000 rows through the running stack (issue 13: "10,000 rows without running out of memory or CPU time"): a
// generated file of 2,000 products × 5 variants imported (one transaction), imported again (every row unchanged)
// and exported. Each step's wall time and the CPU time the workerd processes spent on it (bench/cpu.ts, read from
// /proc: the gateway and the admin worker, which parse, check and plan) are printed, and bounded by Workers' own
// limits: 30 s of CPU per request (the default; `wrangler dev` enforces none, hence the measure), 128 MB of memory
// (the import keeps only the parsed rows; the export one page).
import { describe, expect, it } from 'vitest';
import { stackCpuSeconds } from '../../bench/cpu';
import { BULK_COLUMNS, BULK_MAX_ROWS } from '../../lib/admin/bulk.schemas';
import { csvRecord, parseCsv } from '../../lib/csv';
import { client, freshIp, gateway, merchantToken, ok, primary, uniqueWord } from './helpers';
import { workerLogLines } from './worker-log';

const PRODUCTS = 2000;
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
/** Workers' default CPU limit per request. */
const CPU_LIMIT_S = 30;

/** The stack was started by vitest's main process (test/global-setup.ts): its workerd processes descend from it. */
const workerdCpu = () => stackCpuSeconds(process.ppid).workerd;

async function measured<T>(what: string, rows: number, fn: () => Promise<T>): Promise<T> {
  const [cpu0, t0] = [workerdCpu(), Date.now()];
  const result = await fn();
  const cpu = workerdCpu() - cpu0;
  const wall = (Date.now() - t0) / 1000;
  console.log(
    `[bulk 10k] ${what}: ${rows} rows, wall ${wall.toFixed(2)} s, workerd CPU ${cpu.toFixed(2)} s ` +
      `(${((cpu / rows) * 1000).toFixed(3)} s per 1,000 rows)`,
  );
  expect(cpu).toBeLessThan(CPU_LIMIT_S);
  return result;
}

describe('10,000 rows', () => {
  it('imports, re-imports (unchanged) and exports 10,000 rows within Workers limits', async () => {
    const category = uniqueWord('bulk10k');
    const token = await merchantToken();
    await ok(
      'category',
      client(token).POST('/v1/admin/categories', { body: { slug: category, name: '10k', parent: null } }),
    );
    const run = uniqueWord('k');
    let file = csvRecord(BULK_COLUMNS);
    for (let p = 0; p < PRODUCTS; p++) {
      const handle = `${run}-${p}`;
      for (const [i, size] of SIZES.entries()) {
        const cells: Record<string, string> = {
          handle,
          title: `Bulk tee ${p}`,
          description: `A generated tee, number ${p}, for the 10k import.`,
          brand: 'Bulk',
          category,
          status: 'published',
          currency: 'USD',
          option1_name: 'Size',
          option1_value: size,
          sku: `${handle}-${size}`.toUpperCase(),
          variant_title: size,
          price: String(1000 + i * 100 + (p % 7)),
          stock: String(p % 50),
        };
        file += csvRecord(BULK_COLUMNS.map((c) => cells[c] ?? ''));
      }
    }
    const rows = PRODUCTS * SIZES.length;
    expect(rows).toBe(BULK_MAX_ROWS);
    // Raw fetch with a long deadline (the api() helper's is 15 s).
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${gateway()}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': freshIp(), ...init.headers },
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      return {
        status: res.status,
        text,
        body: /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text,
      };
    };
    const send = (body = file) =>
      call('/v1/admin/products/import', { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    const phases = (sha256: string) =>
      console.log('[bulk 10k] phases:', JSON.stringify(workerLogLines(sha256).find((l) => l.msg === 'bulk import')));

    const first = await measured('import (all created)', rows, send);
    expect(first.status).toBe(200);
    expect(first.body.counts).toEqual({ rows, created: rows, updated: 0, unchanged: 0, rejected: 0 });
    expect(first.body.products.created).toBe(PRODUCTS);
    phases(first.body.sha256);
    const [entry] = await primary(`select after from audit_log where action = 'product.import' and target_id = $1`, [
      first.body.sha256,
    ]);
    expect(entry.after).toMatchObject({ products: PRODUCTS, variants: rows, counts: { created: rows } });
    expect(entry.after.created).toHaveLength(rows);

    const again = await measured('import again (all unchanged)', rows, send);
    expect(again.body).toMatchObject({ applied: false, counts: { unchanged: rows } });

    // Every price one cent higher: every row updated, in one transaction again.
    // (Each line ends in price, stock and an empty stock_version.)
    const dearer = file.replace(/,(\d+),(\d+),\r\n/g, (_, price, stock) => `,${Number(price) + 1},${stock},\r\n`);
    const updated = await measured('import (all prices changed)', rows, () => send(dearer));
    expect(updated.body.counts).toMatchObject({ updated: rows, rejected: 0 });
    expect(updated.body.rows[0].changed).toEqual(['price']);
    phases(updated.body.sha256);

    // One row more than the limit: 413, nothing written.
    const tooMany = await send(`${dearer}${dearer.split('\r\n')[1]!.replace(/-XS,/, '-XXS,')}\r\n`);
    expect(tooMany.status).toBe(413);

    const exported = await measured('export', rows, () => call(`/v1/admin/products/export.csv?category=${category}`));
    expect(exported.status).toBe(200);
    expect(parseCsv(exported.text)).toHaveLength(rows + 1);

    // Gone again (never ordered), so the other tests' catalog is the usual size.
    await primary('delete from products where slug like $1', [`${run}-%`]);
    await primary('delete from inventory_levels where sku like $1', [`${run.toUpperCase()}-%`]);
  }, 300_000);
});
