// Result type for RPC methods between workers: expected failures travel as data, not as thrown errors,
// because Workers RPC keeps only the message of a thrown Error.
import { ZodError } from 'zod';
import { AppError, type ErrorInfo, validationError } from './errors';

export type RpcResult<T> = ({ ok: true } & T) | { ok: false; error: ErrorInfo };

/** Runs `fn`; an AppError or ZodError becomes `{ok:false}`, anything else is a bug and is rethrown (logged by the caller). */
export async function rpc<T>(fn: () => Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, ...(await fn()) };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: err.toInfo() };
    if (err instanceof ZodError) return { ok: false, error: validationError('input', err.issues).toInfo() };
    throw err;
  }
}

/** At the caller: the value, or the AppError that the callee returned. */
export function unwrap<T>(result: RpcResult<T>): { ok: true } & T {
  if (!result.ok) throw AppError.fromInfo(result.error);
  return result;
}
