// Guards for request bodies, applied before validation: a JSON content type and a size limit.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../../../lib/errors';
import type { GatewayApp } from '../types';

export function jsonBody(maxBytes = 16 * 1024): MiddlewareHandler<GatewayApp> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `The body is larger than ${maxBytes} bytes.`);
    },
  });
  return async function jsonBodyMiddleware(c, next) {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    }
    return limit(c, next);
  };
}
