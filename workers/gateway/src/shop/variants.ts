// The product page's variant picker, without script: a product's options (size, colour, ...) with their values in
// the order its variants have them, and the variant a query selects (by SKU or by a value of each option).
import type { Schemas } from '../../../../lib/client';

type Variant = Schemas['Variant'];

export interface ProductOption {
  name: string;
  values: string[];
}

export function optionsOf(variants: Variant[]): ProductOption[] {
  const options = new Map<string, string[]>();
  for (const v of variants) {
    for (const [name, value] of Object.entries(v.options)) {
      const values = options.get(name) ?? [];
      if (!values.includes(value)) values.push(value);
      options.set(name, values);
    }
  }
  return [...options].map(([name, values]) => ({ name, values }));
}

export type Selection =
  /** The variant chosen (or the first, when the query names none). */
  | { kind: 'variant'; variant: Variant; chosen: Record<string, string> }
  /** Values of every option that no variant has together. */
  | { kind: 'none'; chosen: Record<string, string> }
  /** A parameter that is not an option, a value the option does not have, or a SKU of another product. */
  | { kind: 'invalid'; message: string };

/** The variant `query` selects: `sku`, or option values (each option once; those left out keep the first's). */
export function selectVariant(variants: Variant[], query: Record<string, string>): Selection {
  const first = variants[0];
  if (!first) return { kind: 'invalid', message: 'This product has no variants for sale.' };
  const options = optionsOf(variants);
  const sku = query.sku;
  if (sku !== undefined) {
    if (Object.keys(query).length > 1) return { kind: 'invalid', message: 'Choose by SKU or by options, not both.' };
    const v = variants.find((x) => x.sku === sku.trim().toUpperCase());
    return v
      ? { kind: 'variant', variant: v, chosen: v.options }
      : { kind: 'invalid', message: 'That SKU is not one of this product’s.' };
  }
  for (const [name, value] of Object.entries(query)) {
    const option = options.find((o) => o.name === name);
    if (!option) return { kind: 'invalid', message: `This product has no option “${name}”.` };
    if (!option.values.includes(value))
      return { kind: 'invalid', message: `“${value}” is not a ${name} this product comes in.` };
  }
  if (Object.keys(query).length === 0) return { kind: 'variant', variant: first, chosen: first.options };
  // Options the query leaves out: those of the first variant that has the chosen values, else the first's.
  const matches = (v: Variant) => Object.entries(query).every(([name, value]) => v.options[name] === value);
  const best = variants.find(matches);
  if (!best) return { kind: 'none', chosen: { ...first.options, ...query } };
  return { kind: 'variant', variant: best, chosen: best.options };
}

/** The availability line a shopper reads for a SKU's live stock. */
export function availabilityOf(
  view: { available: number; maxPerCustomer: number | null } | 'unknown' | 'not-sold',
  low = 5,
): { kind: 'in' | 'low' | 'out' | 'unknown'; text: string; max?: number } {
  if (view === 'unknown')
    return { kind: 'unknown', text: 'Stock could not be checked just now: adding to the cart checks it.' };
  if (view === 'not-sold' || view.available <= 0) return { kind: 'out', text: 'Sold out' };
  const cap = view.maxPerCustomer ?? undefined;
  const max = Math.min(view.available, cap ?? view.available);
  const limit = cap ? ` (at most ${cap} per customer)` : '';
  if (view.available <= low) return { kind: 'low', text: `Only ${view.available} left${limit}`, max };
  return { kind: 'in', text: `In stock${limit}`, max };
}
