// Amounts in minor units as money text, in the currency's own number of decimals: 2599 USD -> "$25.99", 500 JPY ->
// "¥500". Shared by the storefront's and console's pages and the shopper's emails. One Intl.NumberFormat per currency
// and isolate: building one costs far more than formatting with it, and a page or an email formats every line.

interface Format {
  format: Intl.NumberFormat;
  digits: number;
}

/** Per currency code; null for one Intl refuses (a malformed code: a well-formed unknown one, `XYZ`, shows as code). */
const formats = new Map<string, Format | null>();
const MAX_FORMATS = 100;

function formatOf(currency: string): Format | null {
  let f = formats.get(currency);
  if (f !== undefined) return f;
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    f = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
  } catch {
    f = null;
  }
  if (formats.size < MAX_FORMATS) formats.set(currency, f);
  return f;
}

/** An amount in minor units as money ("$12.34", "¥1,200"); a code Intl refuses shows the raw amount. */
export function money(minor: number, currency: string): string {
  const f = formatOf(currency);
  return f ? f.format.format(minor / 10 ** f.digits) : `${minor} ${currency} (minor units)`;
}
