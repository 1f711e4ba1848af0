// The catalog worker: products, variants and categories over typed RPC (CatalogService), read from the Neon
// replica of the request's region (lib/db/replicas.ts) and cached at the edge. Its own fetch handler only answers health checks: it is not public.
import { WorkerEntrypoint } from 'cloudflare:workers';
import { INITIAL_GENERATION, lsnToBigInt, readGeneration } from '../../../lib/catalog/generation';
import { ProductListQuery, SkuList, SlugParam, SuggestQuery } from '../../../lib/catalog/schemas';
import { WARM_BUDGET_MS, WARM_CONCURRENCY, WARM_LISTS } from '../../../lib/catalog/warm';
import type { CacheTier, CatalogResult, CheckoutPrices, VariantInfo, WarmReport } from '../../../lib/contracts/catalog';
import type { WorkerHealth } from '../../../lib/contracts/ops';
import { pgBreaker } from '../../../lib/db/breaker';
import { createDb, type DbEnv, dbAt, dbSettings, routed } from '../../../lib/db/client';
import { isDbUnavailable, mapDbError } from '../../../lib/db/errors';
import { laterLsn } from '../../../lib/db/read-after';
import { AppError } from '../../../lib/errors';
import { log } from '../../../lib/log';
import { startBreakerReports, startSlowQueryReports } from '../../../lib/metrics/breaker-reports.worker';
import { recordCalls } from '../../../lib/metrics/events';
import { failure, type RpcResult, rpc } from '../../../lib/rpc';
import { acceptTraces, currentTrace } from '../../../lib/trace';
import { cachedJson } from './cache';
import { cachePolicy, catalogConfig, sharedTierOptions } from './config';
import { productListPath } from './filters';
import { catalogHealth } from './health';
import { categoryTree, effectiveSort, getProduct, listProducts, type Reader, variantsBySku } from './products.repo';
import { searchTimeoutMs } from './relevance';
import { type SharedTier, sharedTierFor } from './shared';
import { suggest } from './suggest';

// Per-isolate memory of the generation (refreshed every GENERATION_TTL_MS). What each replica has replayed is
// remembered by lib/db/replicas.ts, so the catch-up check runs once per generation and replica, not per miss.
let generation = { value: '0/0', readAt: 0 };

type Env = CatalogEnv & DbEnv;

export class CatalogService extends WorkerEntrypoint<Env> {
  /**
   * Set while `warm` runs (an instance serves one call): every read of that call is made under this generation, the
   * merchant write's, and is not counted as a shopper's request.
   */
  private warmingGeneration: string | undefined;

  /** This isolate's shared tier (Upstash Redis), or undefined when no Upstash URL is set. */
  private shared(): SharedTier | undefined {
    return sharedTierFor(sharedTierOptions(catalogConfig(this.env)));
  }

  /**
   * The generation a read uses: the isolate's (GENERATION_TTL_MS), or the request's read-after position when that is
   * newer and its write was a catalog write (read-your-writes, lib/db/read-after.ts): a merchant's next read after
   * a catalog write then misses the cache entries older than the write, however late the generation reaches this
   * location, and fills from a replica that has replayed it. A token of another write (an order's) leaves the
   * catalog's shared entries to serve the merchant as anyone.
   */
  private async currentGeneration(): Promise<string> {
    const trace = currentTrace();
    const written = trace?.readAfterScope === 'catalog' ? trace.readAfter : undefined;
    return laterLsn(await this.knownGeneration(), written) ?? INITIAL_GENERATION;
  }

  private async knownGeneration(): Promise<string> {
    if (Date.now() - generation.readAt < catalogConfig(this.env).GENERATION_TTL_MS) return generation.value;
    try {
      generation = { value: await readGeneration(this.env.CATALOG_META), readAt: Date.now() };
    } catch (err) {
      // KV unreachable: keep serving under the last known generation rather than failing reads.
      log.warn('catalog generation read failed', { error: String(err) });
    }
    return generation.value;
  }

  /**
   * A cache fill under `gen` reads the request region's replica, else another replica, else the primary
   * (lib/db/replicas.ts): never a replica that lags over REPLICA_MAX_LAG_MS, is unreachable, or has not replayed
   * `gen` yet, so a new generation is never filled with data from before its write. A catalog read: only a catalog
   * write's read-after position is waited for.
   */
  private async readRouted(gen: string, load: (db: Reader) => Promise<unknown>) {
    const { value } = await routed(this.env, (url, settings) => load(dbAt(url, settings)), {
      minLsn: gen,
      catalog: true,
    });
    return value;
  }

  private async cached(
    path: string,
    load: (db: Reader) => Promise<unknown>,
    generation?: string,
  ): Promise<CatalogResult> {
    return rpc(async () => {
      const gen = generation ?? this.warmingGeneration ?? (await this.currentGeneration());
      const policy = cachePolicy(catalogConfig(this.env));
      const fill = async () => {
        try {
          // Only an outage of the primary counts (the replicas fall back to it); an open breaker fails the fill
          // at once, and the cache then serves what it has (stale-if-error) or answers 503.
          return JSON.stringify(await pgBreaker.run(() => this.readRouted(gen, load), isDbUnavailable));
        } catch (err) {
          mapDbError(err);
        }
      };
      const answer = await cachedJson(this.ctx, `https://catalog.cache/${gen}${path}`, policy, fill, this.shared());
      return { ...answer, generation: gen };
    });
  }

  /**
   * The current catalog generation, as this isolate knows it (GENERATION_TTL_MS): the gateway's storefront pages
   * key their edge cache on it (workers/gateway/src/shop/page-cache.ts).
   */
  async generation(): Promise<RpcResult<{ generation: string }>> {
    return rpc(async () => ({ generation: await this.currentGeneration() }));
  }

  /** GET /v1/products: the query is re-validated here, and its parsed form is the cache key. */
  async listProducts(input: unknown): Promise<CatalogResult> {
    const parsed = ProductListQuery.safeParse(input);
    if (!parsed.success) {
      return failure(new AppError('VALIDATION_FAILED', 'Invalid product query.', { details: parsed.error.issues }));
    }
    const query = { ...parsed.data, sort: effectiveSort(parsed.data) };
    // The relevance statement is cancelled by Postgres before the request's deadline: a SEARCH_TIMEOUT, no outage.
    const statementTimeoutMs = searchTimeoutMs(dbSettings(this.env).DB_TIMEOUT_MS);
    return this.cached(productListPath(query), (db) => listProducts(db, query, { statementTimeoutMs }));
  }

  async getProduct(slugInput: unknown): Promise<CatalogResult> {
    const parsed = SlugParam.safeParse({ slug: slugInput });
    if (!parsed.success) {
      return failure(new AppError('VALIDATION_FAILED', 'Invalid product slug.', { details: parsed.error.issues }));
    }
    const { slug } = parsed.data;
    const answer = await this.cached(`/products/${slug}`, async (db) => {
      const product = await getProduct(db, slug);
      if (!product) throw new AppError('NOT_FOUND', `No product with slug "${slug}".`);
      return product;
    });
    // Counted for the warming after a merchant write (the products most requested lately); only products that
    // exist, so made-up slugs cannot push real ones out.
    if (answer.ok && !this.warmingGeneration) this.shared()?.noteProduct(slug, (p) => this.ctx.waitUntil(p));
    return answer;
  }

  /**
   * Current price and product data of up to 100 SKUs, for the cart (which never takes a price from a client).
   * Each SKU is its own cache entry, since carts hold many different combinations of the same SKUs; entries
   * carry the catalog generation, so a merchant's price change reaches carts within the usual bound.
   */
  async getVariants(input: unknown): Promise<CatalogResult> {
    const parsed = SkuList.safeParse(input);
    if (!parsed.success) {
      return failure(new AppError('VALIDATION_FAILED', 'Invalid SKU list.', { details: parsed.error.issues }));
    }
    const read = await this.variantsAt(await this.currentGeneration(), [...new Set(parsed.data)]);
    if (!read.ok) return read;
    const body = JSON.stringify({ variants: read.variants });
    return { ok: true, body, cache: read.cache, age: 0, cacheControl: 'private, no-store' };
  }

  /** The per-SKU edge entries of `skus` under one generation (a SKU not sold is absent). */
  private async variantsAt(
    gen: string,
    skus: string[],
  ): Promise<RpcResult<{ variants: VariantInfo[]; cache: 'HIT' | 'MISS' }>> {
    const answers = await Promise.all(
      skus.map((sku) =>
        this.cached(`/variant/${sku}`, async (db) => ({ variant: (await variantsBySku(db, [sku]))[0] ?? null }), gen),
      ),
    );
    const failed = answers.find((a) => !a.ok);
    if (failed && !failed.ok) return failed;
    const variants = answers
      .flatMap((a) => (a.ok ? [(JSON.parse(a.body) as { variant: VariantInfo | null }).variant] : []))
      .filter((v): v is VariantInfo => v !== null);
    const cache = answers.every((a) => a.ok && a.cache === 'HIT') ? ('HIT' as const) : ('MISS' as const);
    return { ok: true, variants, cache };
  }

  /**
   * Prices for a checkout, from the versioned edge catalog: the same per-SKU entries the cart shows, under the
   * current generation (which the order records), so a checkout never reads the primary on its hot path. The
   * primary is the fallback: a fill already reads it while the replica lags the generation or is unreachable,
   * and if the edge path fails for any other reason the prices are read from the primary directly.
   */
  async priceForCheckout(input: unknown): Promise<RpcResult<CheckoutPrices>> {
    return rpc(async () => {
      const skus = [...new Set(SkuList.parse(input))];
      const generation = await this.currentGeneration();
      const edge = await this.variantsAt(generation, skus);
      if (edge.ok) return { variants: edge.variants, generation, source: 'edge' as const };
      log.warn('checkout prices from the primary: edge catalog failed', { error: edge.error });
      try {
        return {
          variants: await pgBreaker.run(() => variantsBySku(createDb(this.env).$primary, skus), isDbUnavailable),
          generation,
          source: 'primary' as const,
        };
      } catch (err) {
        throw mapDbError(err);
      }
    });
  }

  /** GET /v1/products/suggest: autocomplete of the last typed word (./suggest.ts), cached like every read. */
  async suggest(input: unknown): Promise<CatalogResult> {
    const parsed = SuggestQuery.safeParse(input);
    if (!parsed.success) {
      return failure(new AppError('VALIDATION_FAILED', 'Invalid suggest query.', { details: parsed.error.issues }));
    }
    const { q } = parsed.data;
    return this.cached(`/suggest?${new URLSearchParams({ q })}`, async (db) => ({ suggestions: await suggest(db, q) }));
  }

  async listCategories(): Promise<CatalogResult> {
    return this.cached('/categories', async (db) => ({ categories: await categoryTree(db) }));
  }

  /**
   * After a merchant write (the admin worker calls this in the background with the generation it published): the
   * categories, the home page's lists, the default list and the WARM_PRODUCTS products most requested lately are
   * read under `generation` through the cache as a shopper's request would be, so they are loaded once and put in
   * the shared tier (every location) and this location's tiers before the first shopper asks. Bounded: at most
   * 3 + WARM_PRODUCTS reads, WARM_CONCURRENCY at a time, none started after WARM_BUDGET_MS.
   */
  async warm(input: unknown): Promise<RpcResult<WarmReport>> {
    return rpc(async () => {
      const generation = typeof input === 'string' ? input : '';
      try {
        lsnToBigInt(generation);
      } catch {
        throw new AppError('VALIDATION_FAILED', 'Invalid generation: expected a WAL position such as "0/16B3748".');
      }
      const started = Date.now();
      this.warmingGeneration = generation;
      const slugs = (await this.shared()?.hotProducts(catalogConfig(this.env).WARM_PRODUCTS)) ?? [];
      const reads: (() => Promise<CatalogResult>)[] = [
        () => this.listCategories(),
        ...WARM_LISTS.map((query) => () => this.listProducts(query)),
        ...slugs.map((slug) => () => this.getProduct(slug)),
      ];
      const tiers: Partial<Record<CacheTier, number>> = {};
      let failed = 0;
      let skipped = 0;
      let next = 0;
      const worker = async () => {
        while (next < reads.length) {
          const read = reads[next++]!;
          if (Date.now() - started > WARM_BUDGET_MS) {
            skipped++;
            continue;
          }
          const answer = await read().catch(() => undefined);
          if (answer?.ok && answer.tier) tiers[answer.tier] = (tiers[answer.tier] ?? 0) + 1;
          // A product deleted since it was requested answers 404: nothing to warm, not a failure of the warm.
          else if (!answer || (!answer.ok && answer.error.code !== 'NOT_FOUND')) failed++;
        }
      };
      await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
      const report = { generation, reads: reads.length, tiers, failed, skipped, ms: Date.now() - started };
      log.info('catalog warmed', report);
      return report;
    });
  }

  /** Its dependencies' checks (settings, both databases, KV) and this isolate's breakers. */
  async health(): Promise<WorkerHealth> {
    return catalogHealth(this.env);
  }
}
// Its methods take the trace a `traced` caller sends (lib/trace.ts).
// One Analytics Engine point per call (lib/metrics/events.ts); inside acceptTraces, so it sees the trace.
recordCalls(CatalogService, 'catalog');
acceptTraces(CatalogService);

// Every isolate's breakers are kept here, by MetricsDO `breakers` (the catalog binds no other worker, so the others
// reach it without a deploy cycle); its own breaker (Postgres) pushes there too (docs/operations.md).
export { MetricsDO } from '../../../durable-objects/metrics/metrics.do';

startBreakerReports('catalog', 'BREAKERS');
// Its slow Postgres queries (its objects' too) are counted there as well.
startSlowQueryReports('catalog', 'BREAKERS');

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname === '/health') {
      const report = await catalogHealth(env);
      const ok = Object.values(report.checks).every((c) => c.status === 'ok' || !c.required);
      return Response.json(report, { status: ok ? 200 : 503 });
    }
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
