// The values of a list filter (`brand`, `size`, `colour`, `category`): how a parameter is split into values, how a
// value is normalized, and how values are written back into one parameter. The gateway's schema
// (./schemas.ts), the catalog's conditions and facet answers (workers/catalog) and the storefront's filter links
// (workers/gateway/src/shop) all use these, and migration 0014's facet_norm() normalizes stored brands and option
// values the same way, so every value a product has can be selected.
//
// - A parameter holds several values separated by commas. A comma inside a value is written `\,` and a backslash
//   `\\` (a backslash before anything else is itself): a brand "Smith, Jones & Co" is `smith\, jones & co`.
// - A value is trimmed, its runs of whitespace made one space, and lower-cased (`  Big   Sky ` → `big sky`).

/**
 * The whitespace a value's normalization trims and collapses: JavaScript's `\s`, spelt out so that
 * migration 0014's facet_norm() (a Postgres regular expression) uses exactly this class.
 */
export const FILTER_SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const edges = new RegExp(`^[${FILTER_SPACE}]+|[${FILTER_SPACE}]+$`, 'g');
const runs = new RegExp(`[${FILTER_SPACE}]+`, 'g');

/** One value as filters compare it, and as the facet columns store it (facet_norm() in SQL). */
export function normalizeFilterValue(value: string): string {
  return value.replace(edges, '').replace(runs, ' ').toLowerCase();
}

/** The values of one parameter as written (commas split them; `\,` and `\\` are a comma and a backslash). */
export function splitFilterValues(param: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < param.length; i++) {
    const c = param[i]!;
    const next = param[i + 1];
    if (c === '\\' && (next === ',' || next === '\\')) {
      current += next;
      i++;
    } else if (c === ',') {
      values.push(current);
      current = '';
    } else current += c;
  }
  values.push(current);
  return values;
}

/** A value as a parameter carries it: its commas and backslashes escaped (what a facet's `value` is). */
export function encodeFilterValue(value: string): string {
  return value.replace(/[\\,]/g, (c) => `\\${c}`);
}

/** A value as a parameter carries it, back as the value itself (its escapes undone). */
export function decodeFilterValue(encoded: string): string {
  return splitFilterValues(encoded).join(',');
}

/**
 * The parameters (repeated or not) of one kind as sorted, distinct, normalized values, each as a parameter carries
 * it (escaped): so parsing is idempotent (the catalog validates again what the gateway parsed), `join(',')` of them
 * is one parameter again, and a facet's `value` compares with them as it is.
 */
export function normalizeFilterList(params: readonly string[]): string[] {
  const values = params.flatMap(splitFilterValues).map((v) => encodeFilterValue(normalizeFilterValue(v)));
  return [...new Set(values)].sort();
}
