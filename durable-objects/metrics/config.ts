// MetricsDO's settings, read through configOf: how long per-minute and per-hour rollups are kept.
import { z } from 'zod';
import { configOf, intVar } from '../../lib/config';

export const MetricsVars = z.object({
  // Per-minute rows older than this are deleted (their hours keep them); the burn-rate and alert windows (6 h at
  // most) and the console's (24 h) fit inside it. At least 2: an hour is rolled up before its minutes go.
  FIGURES_RETENTION_HOURS: intVar(48, { min: 2, max: 24 * 90 }),
  // Per-hour rows older than this are deleted; the SLO window (SLO_WINDOW_HOURS) must fit inside it.
  FIGURES_HOURLY_RETENTION_DAYS: intVar(35, { min: 1, max: 400 }),
});

export const metricsConfig = (env: object) => configOf(env, MetricsVars, 'MetricsDO');
