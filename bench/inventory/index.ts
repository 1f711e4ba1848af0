// The hot-InventoryDO benchmark (npm run bench, scenario "inventory"): GET /run drives ONE InventoryDO from inside
// workerd with `concurrency` reserves in flight at once until `ops` reserve-or-refuse operations have been answered
// (the first `units` hold, the rest are refused, as in a flash sale), and answers operations per second and the
// latency percentiles of one call. Bounded: at most 100,000 operations and 512 in flight.
import { InventoryDO } from '../../durable-objects/inventory/inventory.do';

export { InventoryDO };

interface Env {
  INVENTORY: DurableObjectNamespace<InventoryDO>;
}

const bounded = (v: string | null, fallback: number, max: number) =>
  Math.max(1, Math.min(max, Number.isFinite(Number(v)) && v !== null ? Math.floor(Number(v)) : fallback));

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/') return new Response('ok');
    if (url.pathname !== '/run') return new Response('not found', { status: 404 });
    const ops = bounded(url.searchParams.get('ops'), 5000, 100_000);
    const concurrency = bounded(url.searchParams.get('concurrency'), 100, 512);
    const units = bounded(url.searchParams.get('units'), 25, 10_000_000);
    const sku = `BENCH-HOT-${crypto.randomUUID().slice(0, 8)}`;
    const stub = env.INVENTORY.get(env.INVENTORY.idFromName(sku));
    await stub.initialize(sku, units);
    const expiresAt = Date.now() + 3_600_000;
    let next = 0;
    let held = 0;
    let refused = 0;
    const ms: number[] = [];
    // workerd's clock advances on I/O, and every call to the object is I/O: the timings are real.
    const started = Date.now();
    const driver = async () => {
      while (next < ops) {
        const n = next++;
        const t0 = Date.now();
        const r = await stub.reserve(sku, { holdId: `h${n}`, quantity: 1, owner: `o${n}`, expiresAt });
        ms.push(Date.now() - t0);
        if (r.ok) held++;
        else refused++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, driver));
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    ms.sort((a, b) => a - b);
    const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] ?? 0;
    const levels = await stub.levels(sku);
    return Response.json({
      ops,
      concurrency,
      units,
      seconds,
      opsPerSecond: ops / seconds,
      held,
      refused,
      p50: pct(50),
      p95: pct(95),
      p99: pct(99),
      oversold: Math.max(0, held - units, levels.held + levels.sold - levels.onHand),
    });
  },
} satisfies ExportedHandler<Env>;
