// One place that turns every failure into the public error shape: AppError as it says, Hono's HTTP errors
// by status, validation failures as 400 naming the bad fields, anything else as a logged, generic 500.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { AppError, type ErrorCode, errorBody, validationError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import type { GatewayApp } from '../types';

function respond(c: Context<GatewayApp>, err: AppError) {
  const requestId = c.get('requestId') ?? 'unknown';
  c.set('errorCode', err.code);
  const headers: Record<string, string> = { ...err.headers, 'x-request-id': requestId, 'cache-control': 'no-store' };
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  if (err.status === 401) headers['www-authenticate'] = 'Bearer';
  return c.json(errorBody(err.toInfo(), requestId), err.status as 400, headers);
}

const statusCodes: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export const onError: ErrorHandler<GatewayApp> = (err, c) => {
  if (err instanceof AppError) {
    // Shedding under overload is not an error of ours: logging each would add to the overload (edge.ts).
    if (err.status >= 500 && !c.get('quiet')) {
      log.error(err.message, {
        requestId: c.get('requestId'),
        correlationId: c.get('correlationId'),
        code: err.code,
        cause: String(err.cause ?? ''),
      });
    }
    return respond(c, err);
  }
  if (err instanceof HTTPException && statusCodes[err.status]) {
    return respond(c, new AppError(statusCodes[err.status]!, err.message || 'Request refused.'));
  }
  log.error('unhandled error', {
    requestId: c.get('requestId'),
    correlationId: c.get('correlationId'),
    error: String(err),
    stack: err.stack,
  });
  return respond(c, new AppError('INTERNAL', 'Something went wrong on our side.'));
};

export const notFound: NotFoundHandler<GatewayApp> = (c) =>
  respond(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`));

// Hono's validator targets, as a client reads them.
const targetNames: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'headers',
  cookie: 'cookies',
};

/** The OpenAPIHono defaultHook: a failed zod validation becomes a 400 whose message names each bad field. */
export function validationHook(result: { success: boolean; error?: ZodError; target?: string }) {
  if (result.success || !result.error) return;
  throw validationError(targetNames[result.target ?? ''] ?? 'request', result.error.issues);
}
