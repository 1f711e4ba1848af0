// The typed client of the public API: openapi-fetch (a thin fetch wrapper) over the types that `npm run client`
// generates from the OpenAPI document (./schema.d.ts). Paths, parameters, bodies and answers are checked by the
// compiler, so code that calls the API through it (the e2e tests, the benchmark) cannot drift from the contract.
//
//   const api = createStorefrontClient('http://127.0.0.1:8787', { token });
//   const { data, error, response } = await api.GET('/v1/orders/{id}', { params: { path: { id } } });
//
// `data` is the typed answer of a 2xx, `error` the typed Error body otherwise, `response` the raw Response.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type StorefrontClient = Client<paths>;
/** The document's schemas by name: `Schemas['Order']`, `Schemas['Money']`, `Schemas['Error']`, ... */
export type Schemas = components['schemas'];
export type { paths };

export interface StorefrontClientOptions {
  /** An access token, sent as `Authorization: Bearer <token>` on every call. */
  token?: string;
  /** Headers sent on every call. */
  headers?: Record<string, string>;
  /** Deadline of each call in ms (default 15 s): the call is aborted after it. */
  timeoutMs?: number;
  /** The fetch to send with (default: the global one), e.g. to add headers per call. */
  fetch?: (request: Request) => Promise<Response>;
}

export function createStorefrontClient(baseUrl: string, opts: StorefrontClientOptions = {}): StorefrontClient {
  const send = opts.fetch ?? ((request: Request) => fetch(request));
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return createClient<paths>({
    baseUrl,
    headers: { ...opts.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    fetch: (request) =>
      send(new Request(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]) })),
  });
}
