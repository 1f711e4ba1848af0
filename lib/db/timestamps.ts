// Postgres hands timestamptz columns over as text in its own format ("2025-12-03 06:20:08.396512+00", offset in
// the session's time zone). Public answers carry ISO 8601 UTC ("2025-12-03T06:20:08.396Z"), like every other time
// in the API; this is the one conversion. Keyset cursors keep the raw text: it has the full microsecond precision.

const PG_TIMESTAMPTZ =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:Z|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;

/** A Postgres timestamptz in text form as ISO 8601 UTC with milliseconds (microseconds are cut, not rounded). */
export function isoFromPostgres(text: string): string {
  const m = PG_TIMESTAMPTZ.exec(text.trim());
  if (!m) throw new Error(`not a Postgres timestamptz: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0', os = '0'] = m;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const offsetSeconds = (Number(oh) * 60 + Number(om)) * 60 + Number(os);
  return new Date(local - (sign === '-' ? -offsetSeconds : offsetSeconds) * 1000).toISOString();
}
