// The one way an error crosses a boundary: every service-binding method and every OrdersDO RPC method answers an
// RpcResult. Expected failures travel as data, not as thrown errors, because Workers RPC keeps only the message
// of a thrown Error. Inside a worker or object an expected failure is an AppError; `rpc()` (or `failure()`) turns
// it into an RpcResult at the boundary, and the caller's `unwrap` turns it back into the AppError (the gateway's
// onError then maps its code to an HTTP status, lib/errors.ts).
import { ZodError } from 'zod';
import { AppError, type ErrorInfo, validationError } from './errors';

export type RpcResult<T> = ({ ok: true } & T) | { ok: false; error: ErrorInfo };

/** The failed result carrying `err`: the only way to build one by hand. */
export function failure(err: AppError): { ok: false; error: ErrorInfo } {
  return { ok: false, error: err.toInfo() };
}

/**
 * Runs `fn`; an AppError or ZodError becomes `{ok:false}`, anything else is a bug or an outage and is rethrown
 * (logged by the caller).
 */
export async function rpc<T>(fn: () => Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, ...(await fn()) };
  } catch (err) {
    if (err instanceof AppError) return failure(err);
    if (err instanceof ZodError) return failure(validationError('input', err.issues));
    throw err;
  }
}

/** At the caller: the value, or the AppError that the callee returned. */
export function unwrap<T>(result: RpcResult<T>): { ok: true } & T {
  if (!result.ok) throw AppError.fromInfo(result.error);
  return result;
}

/** `unwrap` without the `ok` flag: the answer itself, for a route that sends it on as its body. */
export function unwrapAnswer<T extends object>(result: RpcResult<T>): T {
  const { ok: _ok, ...answer } = unwrap(result);
  return answer as unknown as T;
}
