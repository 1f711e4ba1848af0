// The one error type every worker throws for expected failures, and its wire forms.
// Across a service binding an Error loses its fields, so RPC methods return an ErrorInfo instead
// (see lib/rpc.ts) and the gateway turns it back into an AppError.

/** Stable error codes and the HTTP status each one maps to. */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  BAD_CURSOR: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
  /** An emailed link's token that is unknown, used, expired, or meant for another purpose or address. */
  INVALID_LINK_TOKEN: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  EMAIL_ALREADY_VERIFIED: 409,
  ADDRESS_LIMIT_EXCEEDED: 409,
  CURRENCY_MISMATCH: 409,
  OUT_OF_STOCK: 409,
  PRICE_CHANGED: 409,
  CHECKOUT_CLOSED: 409,
  STOCK_BELOW_COMMITTED: 409,
  REBUILD_OVERSELLS: 409,
  REBUILD_STALE: 409,
  ORDER_STATE_CONFLICT: 409,
  REFUND_EXCEEDS_PAID: 409,
  SLUG_TAKEN: 409,
  SKU_TAKEN: 409,
  VARIANT_OPTIONS_TAKEN: 409,
  OPTION_IN_USE: 409,
  PRODUCT_ORDERED: 409,
  PRODUCT_PUBLISHED: 409,
  CATEGORY_CYCLE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  CART_EMPTY: 422,
  ITEM_UNAVAILABLE: 422,
  CUSTOMER_LIMIT_EXCEEDED: 409,
  PAYMENT_DECLINED: 402,
  INVALID_PAYMENT_METHOD: 422,
  WEBHOOK_SIGNATURE_INVALID: 400,
  PRECONDITION_FAILED: 412,
  CART_LIMIT_EXCEEDED: 422,
  /** A bulk import (mode apply) with rejected rows: nothing was written; the per-row report is in `details`. */
  IMPORT_REJECTED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  DB_UNAVAILABLE: 503,
  /** A search statement cancelled by its own statement_timeout: the query, not the database (no outage counted). */
  SEARCH_TIMEOUT: 503,
  /** A merchant/admin write refused because its audit entry could not be recorded (nothing was changed). */
  AUDIT_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
  RATE_LIMITER_UNAVAILABLE: 503,
  PAYMENT_PROVIDER_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** What crosses a service binding and what the client sees (plus the request id). */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  details?: unknown;
  /** Seconds; becomes a Retry-After header. */
  retryAfter?: number;
  /** Extra response headers (e.g. RateLimit-* on a 429). */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  readonly retryAfter?: number;
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; retryAfter?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorStatus[code];
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
    this.headers = opts.headers;
  }

  static fromInfo(info: ErrorInfo): AppError {
    return new AppError(info.code, info.message, {
      details: info.details,
      retryAfter: info.retryAfter,
      headers: info.headers,
    });
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      details: this.details,
      retryAfter: this.retryAfter,
      headers: this.headers,
    };
  }
}

/** The public JSON error body: `{"error": {code, message, requestId, details?}}`. */
export function errorBody(info: ErrorInfo, requestId: string) {
  return {
    error: {
      code: info.code,
      message: info.message,
      requestId,
      ...(info.details === undefined ? {} : { details: info.details }),
    },
  };
}

/** What a schema failure reports per field (a zod issue has these, and more). */
export interface FieldIssue {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
}

// Field names and zod messages can carry client input (an unknown key is named in its issue): each is cut, and
// so is the list, so a hostile body cannot make the answer large.
const MAX_LISTED_ISSUES = 5;
const clip = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The one answer to input that fails a schema: 400 VALIDATION_FAILED whose message names every bad field, e.g.
 * `Invalid body: shippingAddress.postalCode: a postal code (...); email: Invalid email address`, with the same
 * list in `details` as `[{path, message, code}]`. `where` says which part of the request: body, query, path,
 * headers, or input (arguments of an RPC call).
 */
export function validationError(where: string, issues: readonly FieldIssue[]): AppError {
  const fields = issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
  const listed = fields
    .slice(0, MAX_LISTED_ISSUES)
    .map((f) => (f.path ? `${clip(f.path, 60)}: ${clip(f.message)}` : clip(f.message)));
  const more = fields.length > MAX_LISTED_ISSUES ? `; and ${fields.length - MAX_LISTED_ISSUES} more` : '';
  const message = listed.length ? `Invalid ${where}: ${listed.join('; ')}${more}` : `Invalid ${where}.`;
  return new AppError('VALIDATION_FAILED', message, { details: fields });
}
