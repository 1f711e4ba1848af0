// Totals of a checkout: subtotal, shipping and tax from small fixed tables (documented in the README). All in
// minor units of the cart's currency; tax rounds half up, once, on the taxable amount.

export const SHIPPING_METHODS = ['standard', 'express'] as const;
export type ShippingMethod = (typeof SHIPPING_METHODS)[number];

/** Flat shipping per order, by method and destination; standard is free from FREE_SHIPPING_FROM (domestic). */
export const SHIPPING_TABLE: Record<ShippingMethod, { domestic: number; international: number }> = {
  standard: { domestic: 500, international: 1500 },
  express: { domestic: 1500, international: 3500 },
};
export const DOMESTIC_COUNTRY = 'US';
export const FREE_SHIPPING_FROM = 10_000;

/**
 * Tax rates in basis points by destination country, applied to subtotal + shipping (a simplification: one
 * rate per country, no per-state or per-product rules). Countries not listed are not taxed.
 */
export const TAX_RATES_BPS: Record<string, number> = {
  US: 725,
  CA: 1300,
  GB: 2000,
  DE: 1900,
  FR: 2000,
  NL: 2100,
  IE: 2300,
  AU: 1000,
  JP: 1000,
};

/** Countries we ship to. */
export const SHIPPING_COUNTRIES = [
  'US',
  'CA',
  'GB',
  'DE',
  'FR',
  'NL',
  'IE',
  'AU',
  'JP',
  'ES',
  'IT',
  'SE',
  'DK',
  'NO',
  'CH',
  'AT',
  'BE',
  'NZ',
] as const;

export function computeTotals(
  lines: { unitAmount: number; quantity: number }[],
  currency: string,
  country: string,
  method: ShippingMethod,
) {
  const subtotal = lines.reduce((n, l) => n + l.unitAmount * l.quantity, 0);
  const domestic = country === DOMESTIC_COUNTRY;
  const shipping =
    domestic && method === 'standard' && subtotal >= FREE_SHIPPING_FROM
      ? 0
      : SHIPPING_TABLE[method][domestic ? 'domestic' : 'international'];
  const taxRateBps = TAX_RATES_BPS[country] ?? 0;
  const tax = Math.floor(((subtotal + shipping) * taxRateBps + 5000) / 10000);
  return { subtotal, shipping, tax, total: subtotal + shipping + tax, currency, taxRateBps };
}
