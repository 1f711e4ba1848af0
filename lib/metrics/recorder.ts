// The in-isolate half of the figures: each request adds itself to a map of minute × key → latency histogram (a map
// lookup and one bucket increment), and the map is handed over whole, at most once per flush interval, to a
// MetricsDO shard. The durable half (SQLite rollups) is durable-objects/metrics/.
import type { FigureKey, RollupRow } from '../contracts/figures';
import { add } from './histogram';

export interface FigurePoint extends FigureKey {
  /** When the request arrived, epoch ms. */
  at: number;
  ms: number;
}

export const MINUTE = 60_000;

const keyOf = (minute: number, p: FigureKey) =>
  `${minute}|${p.method}|${p.route}|${p.status}|${p.cache}|${p.code}|${p.event}`;

export class FigureRecorder {
  private rows = new Map<string, RollupRow>();

  record(p: FigurePoint): void {
    const minute = p.at - (p.at % MINUTE);
    const key = keyOf(minute, p);
    let row = this.rows.get(key);
    if (!row) {
      row = {
        minute,
        method: p.method,
        route: p.route,
        status: p.status,
        cache: p.cache,
        code: p.code,
        event: p.event,
        hist: {},
      };
      this.rows.set(key, row);
    }
    add(row.hist, p.ms);
  }

  /** Distinct minute × key rows waiting. */
  get size(): number {
    return this.rows.size;
  }

  /** Everything recorded since the last take, and an empty buffer. */
  take(): RollupRow[] {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    return rows;
  }
}
