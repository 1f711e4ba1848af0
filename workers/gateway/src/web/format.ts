// Formatting shared by the web pages (the console's and the storefront's).

/** An amount in minor units as money ("$12.34", "¥1,200"). */
export function money(amount: number, currency: string): string {
  try {
    const f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    return f.format(amount / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
}
