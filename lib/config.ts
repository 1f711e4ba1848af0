// Worker configuration: each worker declares its vars and secrets once as a zod schema and reads them through
// `configOf`, which validates the env on first use (per isolate: the env object lives as long as the isolate) and
// names every missing or bad variable in one error. No other code parses env strings.
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

/** An optional text var or secret: unset and blank both mean absent. */
export function optionalText() {
  return z.preprocess(blankToUndefined, z.string().optional());
}

const parsed = new WeakMap<object, Map<z.ZodType, unknown>>();

/**
 * The env as `schema` reads it, validated once per env object. `scope` names the worker or object in the error
 * (e.g. "storefront-checkout"), which lists each bad variable with the reason and the value it had.
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
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(env)';
      const value = (env as Record<string, unknown>)[String(issue.path[0])];
      const got = value === undefined ? 'it is not set' : `got ${JSON.stringify(value)}`;
      return `${name}: ${issue.message} (${got})`;
    });
    throw new ConfigError(scope, problems);
  }
  byEnv.set(schema, result.data);
  return result.data;
}
