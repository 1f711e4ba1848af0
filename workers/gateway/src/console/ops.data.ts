// What the ops page shows, read from the ops API in-process (as the admin signed in): figures over the chosen
// window, the SLOs, the alerts, the breakers and the dead letters, all at once. A part that fails is shown as
// failed (with the API's status and code) and the others still render: the page is for the bad moments.
import type { Schemas } from '../../../../lib/client';
import { apiOf, type ConsoleContext } from './session';

/** The windows the page offers, in minutes (the ops API takes 1–10080). */
export const WINDOWS = [15, 60, 360, 1440] as const;
export type WindowMinutes = (typeof WINDOWS)[number];

export type Part<T> = { ok: true; data: T } | { ok: false; status: number; message: string; code?: string };

export interface OpsData {
  minutes: WindowMinutes;
  figures: Part<Schemas['OpsFigures']>;
  slo: Part<Schemas['SloReport']>;
  alerts: Part<Schemas['AlertsReport']>;
  breakers: Part<Schemas['Breakers']>;
  deadLetters: Part<Schemas['DeadLetters']>;
}

/** An API call's answer as a part of a page: its data, or its status with the API's code and message. */
export async function part<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Part<T>> {
  try {
    const { data, error, response } = await call;
    if (response.ok && data !== undefined) return { ok: true, data };
    const info = (error as { error?: { code?: string; message?: string } } | undefined)?.error;
    const message = [info?.code, info?.message].filter(Boolean).join(': ');
    const failed = { ok: false as const, status: response.status, message: message || response.statusText };
    return info?.code ? { ...failed, code: info.code } : failed;
  } catch (err) {
    return { ok: false, status: 0, message: err instanceof Error ? err.message : String(err) };
  }
}

export async function loadOps(c: ConsoleContext, token: string, minutes: WindowMinutes): Promise<OpsData> {
  const api = apiOf(c, token);
  const [figures, slo, alerts, breakers, deadLetters] = await Promise.all([
    part(api.GET('/v1/admin/ops/figures', { params: { query: { minutes, top: 10 } } })),
    part(api.GET('/v1/admin/ops/slo')),
    part(api.GET('/v1/admin/ops/alerts', { params: { query: { limit: 10 } } })),
    part(api.GET('/v1/admin/ops/breakers')),
    part(api.GET('/v1/admin/dead-letters', { params: { query: { limit: 10 } } })),
  ]);
  return { minutes, figures, slo, alerts, breakers, deadLetters };
}

/** Every minute of the window, oldest first, as the ISO strings the figures use (minutes without data included). */
export function minutesOf(window: { from: string; to: string }): string[] {
  const out: string[] = [];
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  for (let t = from; t < to && out.length < 10_080; t += 60_000) out.push(new Date(t).toISOString());
  return out;
}

/** Values of `rows` placed on `minutes` (null where a minute has no row). */
export function onMinutes<R extends { minute: string }>(
  minutes: string[],
  rows: R[],
  value: (r: R) => number | null,
  missing: number | null = 0,
): (number | null)[] {
  const byMinute = new Map(rows.map((r) => [new Date(r.minute).toISOString(), r]));
  return minutes.map((m) => {
    const row = byMinute.get(m);
    return row ? value(row) : missing;
  });
}

export { money } from '../web/format';

export const percent = (share: number | null | undefined) =>
  share === null || share === undefined ? '–' : `${(share * 100).toFixed(share < 0.1 && share > 0 ? 2 : 1)}%`;
