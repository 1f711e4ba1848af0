// dev/stripe-local/params.ts — Stripe's request encoding and error shapes for dev/stripe-local.ts.
// Bodies (POST) and query strings (GET) are `application/x-www-form-urlencoded` with bracketed keys, exactly
// as the stripe SDK's stringifyRequestData writes them: `metadata[orderId]=x`, `expand[0]=latest_charge`,
// `automatic_payment_methods[enabled]=true`; `expand[]=x` is accepted too. A null value is sent as `key=`
// (empty string), which Stripe reads as "unset".

export type Value = string | Value[] | Params;
export interface Params {
  [key: string]: Value;
}

/** An error as Stripe returns it: HTTP status + the `error` object. `stored: false` marks errors raised
 *  before the endpoint started executing (bad parameters): Stripe does not save those under the
 *  Idempotency-Key, so a corrected retry with the same key is allowed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
    readonly stored = true,
  ) {
    super(String(error.message));
  }
}

const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

/** 400 invalid_request_error; `stored` defaults to false (a parameter problem). */
export function invalid(
  message: string,
  param?: string,
  code?: string,
  extra: Record<string, unknown> = {},
  stored = false,
): ApiError {
  const error: Record<string, unknown> = { type: 'invalid_request_error', message };
  if (code) Object.assign(error, { code, doc_url: docUrl(code) });
  if (param) error.param = param;
  return new ApiError(400, Object.assign(error, extra), stored);
}

/** The state errors (payment_intent_unexpected_state, charge_already_refunded, ...): stored under the key. */
export const stateError = (message: string, code?: string, extra: Record<string, unknown> = {}, param?: string) =>
  invalid(message, param, code, extra, true);

export const cardError = (
  code: string,
  declineCode: string | undefined,
  message: string,
  extra: Record<string, unknown>,
) =>
  new ApiError(402, {
    type: 'card_error',
    code,
    ...(declineCode ? { decline_code: declineCode } : {}),
    doc_url: docUrl(code),
    message,
    ...extra,
  });

export const missing = (kind: string, id: string, param: string, status = 404) =>
  new ApiError(
    status,
    {
      type: 'invalid_request_error',
      code: 'resource_missing',
      doc_url: docUrl('resource_missing'),
      message: `No such ${kind}: '${id}'`,
      param,
    },
    false,
  );

/** Parses a form body / query string into nested objects and arrays (all-integer keys -> array). */
export function parseForm(text: string): Params {
  const root: Params = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!m) throw invalid(`Invalid parameter name: ${rawKey}`, rawKey);
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
    let node: Params = root;
    for (let i = 0; i < path.length; i++) {
      let key = path[i]!;
      if (key === '') key = String(Object.keys(node).length); // `a[]=x`
      if (i === path.length - 1) {
        if (node[key] !== undefined && typeof node[key] !== 'string')
          throw invalid(`Invalid value for ${rawKey}: expected an object`, rawKey);
        node[key] = value;
        break;
      }
      const next = node[key];
      if (next === undefined || next === '') node = node[key] = {};
      else if (typeof next === 'string')
        throw invalid(
          `Invalid value for ${path.slice(0, i + 1).join('][')}: ${rawKey} conflicts with a scalar`,
          rawKey,
        );
      else node = next as Params;
    }
  }
  return arrays(root, '') as Params;
}

function arrays(v: Value, key: string): Value {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  for (const k of keys) v[k] = arrays(v[k]!, k);
  if (key !== 'metadata' && keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((n) => v[String(n)]!);
  }
  return v;
}

/** Stable JSON of params (object keys sorted, arrays in order): what idempotent requests are compared on. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---- validation -------------------------------------------------------------------------------------------
/** What a parameter may be: a scalar kind, a list of allowed strings (enum), or a nested hash. */
export type Kind = 'string' | 'int' | 'bool' | 'metadata' | 'strings' | readonly string[] | Spec;
export interface Spec {
  [name: string]: Kind;
}

/** Rejects unknown and mistyped parameters the way Stripe does (400 with `param`). */
export function check(p: Params, spec: Spec, prefix = ''): void {
  for (const [name, v] of Object.entries(p)) {
    const param = prefix ? `${prefix}[${name}]` : name;
    const kind = name === 'expand' && !prefix ? 'strings' : spec[name];
    if (kind === undefined) throw invalid(`Received unknown parameter: ${param}`, param);
    if (kind === 'metadata') {
      checkMetadata(v, param);
      continue;
    }
    if (kind === 'strings') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`Invalid array`, param);
      continue;
    }
    if (typeof kind === 'object' && !Array.isArray(kind)) {
      if (typeof v === 'string' && v === '') continue;
      if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`Invalid object`, param);
      check(v, kind as Spec, param);
      continue;
    }
    if (typeof v !== 'string')
      throw invalid(
        `Invalid ${kind === 'int' ? 'integer' : kind === 'bool' ? 'boolean' : 'string'}: ${JSON.stringify(v)}`,
        param,
      );
    if (kind === 'int' && !/^-?\d+$/.test(v)) throw invalid(`Invalid integer: ${v}`, param);
    if (kind === 'bool' && v !== 'true' && v !== 'false') throw invalid(`Invalid boolean: ${v}`, param);
    if (Array.isArray(kind) && v !== '' && !kind.includes(v)) {
      throw invalid(
        `Invalid ${param}: must be one of ${kind.slice(0, -1).join(', ')}, or ${kind[kind.length - 1]}`,
        param,
      );
    }
  }
}

function checkMetadata(v: Value, param: string): void {
  if (v === '') return; // `metadata=` clears all keys
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`Invalid object`, param);
  const entries = Object.entries(v);
  if (entries.length > 50) throw invalid('Metadata can have up to 50 keys.', param);
  for (const [k, x] of entries) {
    if (typeof x !== 'string') throw invalid(`Invalid value for metadata key ${k}: must be a string`, `${param}[${k}]`);
    if (k.length > 40) throw invalid(`Metadata keys can have up to 40 characters (${k}).`, `${param}[${k}]`);
    if (x.length > 500) throw invalid(`Metadata values can have up to 500 characters (key ${k}).`, `${param}[${k}]`);
  }
}

/** Applies a metadata param to existing metadata: keys merge, `key=` removes one key, `metadata=` clears. */
export function mergeMetadata(current: Record<string, string>, v: Value | undefined): Record<string, string> {
  if (v === undefined) return current;
  if (v === '') return {};
  const out = { ...current };
  for (const [k, x] of Object.entries(v as Params)) {
    if (x === '') delete out[k];
    else out[k] = x as string;
  }
  return out;
}

export const str = (p: Params, k: string): string | undefined =>
  typeof p[k] === 'string' ? (p[k] as string) : undefined;
/** A string param where `''` means null (unset). */
export const nullable = (p: Params, k: string): string | null | undefined =>
  p[k] === undefined ? undefined : (p[k] as string) || null;
export const int = (p: Params, k: string): number | undefined =>
  typeof p[k] === 'string' && p[k] !== '' ? Number(p[k]) : undefined;
export const bool = (p: Params, k: string): boolean | undefined => (p[k] === undefined ? undefined : p[k] === 'true');
export const list = (p: Params, k: string): string[] => (Array.isArray(p[k]) ? (p[k] as string[]) : []);

// ---- money ------------------------------------------------------------------------------------------------
const CURRENCIES = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));
// Stripe's minimum charge amounts (in minor units) for common currencies; others: 1 unit.
const MINIMUM: Record<string, number> = {
  usd: 50,
  eur: 50,
  cad: 50,
  aud: 50,
  nzd: 50,
  chf: 50,
  sgd: 50,
  gbp: 30,
  jpy: 50,
  dkk: 250,
  sek: 300,
  nok: 300,
  hkd: 400,
  mxn: 1000,
};

export function currency(p: Params, required: boolean): string | undefined {
  const c = str(p, 'currency');
  if (c === undefined || c === '') {
    if (required) throw invalid('Missing required param: currency.', 'currency');
    return undefined;
  }
  if (!/^[a-zA-Z]{3}$/.test(c) || !CURRENCIES.has(c.toLowerCase())) {
    throw invalid(
      `Invalid currency: ${c.toLowerCase()}. Stripe currently supports these currencies: usd, eur, gbp, ...`,
      'currency',
    );
  }
  return c.toLowerCase();
}

const fractionDigits = (cur: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: cur.toUpperCase() }).resolvedOptions()
    .maximumFractionDigits ?? 2;
export const formatMoney = (minor: number, cur: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: cur.toUpperCase() }).format(
    minor / 10 ** fractionDigits(cur),
  );

/** A charge amount in minor units: a positive integer within Stripe's per-currency minimum and the maximum. */
export function chargeAmount(p: Params, cur: string, required: boolean): number | undefined {
  const a = int(p, 'amount');
  if (a === undefined) {
    if (required) throw invalid('Missing required param: amount.', 'amount');
    return undefined;
  }
  if (!Number.isSafeInteger(a) || a < 1) throw invalid('This value must be greater than or equal to 1.', 'amount');
  const min = MINIMUM[cur] ?? 1;
  if (a < min) throw invalid(`Amount must be at least ${formatMoney(min, cur)} ${cur}`, 'amount', 'amount_too_small');
  if (a > 99_999_999)
    throw invalid(`Amount must be no more than ${formatMoney(99_999_999, cur)}`, 'amount', 'amount_too_large');
  return a;
}
