// MetricsDO's setting, read through configOf: how long per-minute rollups are kept.
import { z } from 'zod';
import { configOf, intVar } from '../../lib/config';

export const MetricsVars = z.object({
  // Per-minute rows older than this are deleted; the SLO window (SLO_WINDOW_HOURS) must fit inside it.
  FIGURES_RETENTION_HOURS: intVar(192, { min: 1, max: 24 * 90 }),
});

export const metricsConfig = (env: object) => configOf(env, MetricsVars, 'MetricsDO');
