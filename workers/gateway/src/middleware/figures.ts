// Recording a request's figures, called once per request by the request context: one Analytics Engine data point
// (production's source; wrangler dev keeps none), and the in-isolate rollup (a map update) that reaches a MetricsDO
// shard at most once per FIGURES_FLUSH_MS, through waitUntil, so no request ever waits for it. What an isolate holds
// when it dies before its flush (at most FIGURES_FLUSH_MS of its requests) is lost; docs/operations.md.
import type { Context } from 'hono';
import type { FigureKey } from '../../../../lib/contracts/figures';
import { log } from '../../../../lib/log';
import { parseCacheDimension } from '../../../../lib/metrics/figures';
import { FigureRecorder } from '../../../../lib/metrics/recorder';
import { withTimeout } from '../../../../lib/resilience';
import { type FiguresConfig, figuresConfig } from '../ops/figures.config';
import type { GatewayApp, GatewayBindings } from '../types';

const recorder = new FigureRecorder();
/** This isolate's shard, fixed for its life: one writer per isolate per shard keeps each object's writes few. */
const shardSeed = Math.floor(Math.random() * 2 ** 30);
/** When the pending flush was scheduled (0: none). A flush cancelled with its invocation never clears it, so a
 * schedule older than twice the interval counts as lost and the next request schedules again. */
let flushScheduledAt = 0;
/** Past this many distinct rows an isolate flushes at once rather than wait (bounds its memory). */
const MAX_ROWS = 5000;

export const shardName = (n: number) => `figures-${n}`;

async function flush(env: GatewayBindings, config: FiguresConfig, delayMs: number) {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  flushScheduledAt = 0;
  const rows = recorder.take();
  if (rows.length === 0) return;
  const ns = env.METRICS;
  try {
    const stub = ns.get(ns.idFromName(shardName(shardSeed % config.FIGURES_SHARDS)));
    await withTimeout(stub.record(rows), 5000, 'figures flush');
  } catch (err) {
    // Lost, not retried: a figure is worth less than the memory and the calls a backlog would take in an outage.
    log.warn('figures flush failed; rollups dropped', { rows: rows.length, error: String(err) });
  }
}

/**
 * Records one answered request. Never throws: figures must not break a request. `own`: the console's traffic
 * (middleware/own-requests.ts), written to Analytics Engine flagged (blob7 "console", left out of the request
 * figures' queries) and kept out of the MetricsDO rollup: the ops page must not count its own polling.
 */
export function recordFigures(c: Context<GatewayApp>, key: FigureKey, at: number, ms: number, own = false): void {
  try {
    // The cache outcome and its tier are two blobs in Analytics Engine (blob4, blob8), one dimension in the rollups.
    const { outcome, tier } = parseCacheDimension(key.cache);
    c.env.ANALYTICS?.writeDataPoint({
      indexes: [key.route.slice(0, 96)],
      blobs: [key.method, key.route, String(key.status), outcome, key.code, key.event, own ? 'console' : '', tier],
      doubles: [ms, key.status],
    });
  } catch {
    // Analytics must never break a request.
  }
  if (own) return;
  let config: FiguresConfig;
  try {
    config = figuresConfig(c.env);
  } catch (err) {
    log.error('figures settings invalid; not recording', { error: String(err) });
    return;
  }
  if (config.FIGURES_RECORDING === 'off' || !c.env.METRICS) return;
  recorder.record({ ...key, at, ms });
  const now = recorder.size >= MAX_ROWS;
  if (flushScheduledAt && !now && Date.now() - flushScheduledAt < 2 * config.FIGURES_FLUSH_MS) return;
  flushScheduledAt = Date.now();
  try {
    c.executionCtx.waitUntil(flush(c.env, config, now ? 0 : config.FIGURES_FLUSH_MS));
  } catch {
    // No execution context (an app called without one): flush in the background anyway.
    void flush(c.env, config, now ? 0 : config.FIGURES_FLUSH_MS);
  }
}
