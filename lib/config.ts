// Worker configuration: each worker declares its vars and secrets once as a zod schema and reads them through
// `configOf`, which validates the env on first use (per isolate: the env object lives as long as the isolate) and
// names every missing or bad variable in one error. No other code parses env strings.
//
// One rule for every var: unset or blank means the default; a value that does not parse, or lies outside the
// declared range, is a ConfigError naming the variable (never a silent fallback and never a clamp), because a
// typo in wrangler.toml should stop the deploy's first request, not quietly run with other numbers.
import { z } from 'zod';

/** Thrown when a worker's vars or secrets are missing or invalid: a deployment bug, not a client's. */
export class ConfigError extends Error {
  constructor(
    readonly scope: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration of ${scope}: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** An integer var (a string in wrangler.toml), with a default when unset or blank. */
export function intVar(defaultValue: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  return z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).default(defaultValue));
}

/** A text var with a default when unset or blank. */
export function textVar(defaultValue: string) {
  return z.preprocess(blankToUndefined, z.string().default(defaultValue));
}

/** One of `values`, with a default when unset or blank. */
export function enumVar<const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) {
  return z.preprocess(blankToUndefined, z.enum(values).default(defaultValue));
}

/**
 * An optional text var or secret: unset and blank both mean absent. `schema` checks a value that is set
 * (e.g. `z.url()`).
 */
export function optionalText<S extends z.ZodType = z.ZodString>(schema?: S) {
  return z.preprocess(blankToUndefined, ((schema ?? z.string()) as S).optional());
}

/** A comma-separated list (blank items dropped); each item must pass `item`. Unset or blank: an empty list. */
export function listVar<S extends z.ZodType>(item: S) {
  return z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : (v ?? []),
    z.array(item),
  );
}

/**
 * A rate, "<count>/<seconds>" or "<count>/<seconds> burst <n>" (all whole numbers from 1), with a default when unset
 * or blank. As a token bucket: `count` tokens come back per `seconds`, and the bucket holds `burst` (default `count`),
 * so "120/60" still means 120 at once, then 2 a second; "60/60 burst 10" means 10 at once, then 1 a second.
 */
export function rateVar(defaultValue: `${number}/${number}` | `${number}/${number} burst ${number}`) {
  return z.preprocess(
    blankToUndefined,
    z
      .string()
      .default(defaultValue)
      .transform((value, ctx) => {
        const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(?:burst\s+(\d+)\s*)?$/.exec(value);
        const limit = Number(m?.[1]);
        const windowSeconds = Number(m?.[2]);
        const burst = m?.[3] === undefined ? limit : Number(m[3]);
        if (!m || limit < 1 || windowSeconds < 1 || burst < 1 || !Number.isSafeInteger(limit + windowSeconds + burst)) {
          ctx.addIssue({
            code: 'custom',
            message: 'expected "<count>/<seconds>" or "<count>/<seconds> burst <n>", all whole numbers from 1',
          });
          return z.NEVER;
        }
        return { limit, windowSeconds, burst };
      }),
  );
}

// Schemas of secrets: their values never appear in a ConfigError (which is logged).
const secrets = new WeakSet<z.ZodType>();

/** Marks a var's schema as a secret: a ConfigError names it but never shows its value. */
export function secret<S extends z.ZodType>(schema: S): S {
  secrets.add(schema);
  return schema;
}

const parsed = new WeakMap<object, Map<z.ZodType, unknown>>();

/**
 * The env as `schema` reads it, validated once per env object. `scope` names the worker or object in the error
 * (e.g. "storefront-checkout"), which lists each bad variable with the reason and the value it had (not for a
 * secret's).
 */
export function configOf<S extends z.ZodType>(env: object, schema: S, scope: string): z.output<S> {
  let byEnv = parsed.get(env);
  if (!byEnv) {
    byEnv = new Map();
    parsed.set(env, byEnv);
  }
  if (byEnv.has(schema)) return byEnv.get(schema) as z.output<S>;
  const result = schema.safeParse(env);
  if (!result.success) {
    const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(env)';
      const key = String(issue.path[0]);
      const value = (env as Record<string, unknown>)[key];
      const field = shape[key];
      const got =
        value === undefined
          ? 'it is not set'
          : field && secrets.has(field)
            ? 'a secret: value not shown'
            : `got ${JSON.stringify(value)}`;
      return `${name}: ${issue.message} (${got})`;
    });
    throw new ConfigError(scope, problems);
  }
  byEnv.set(schema, result.data);
  return result.data;
}
