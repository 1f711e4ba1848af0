// The gateway's own requests: the ones the /admin console makes in-process to the API (each live tick of the ops
// page is a page and five API calls). Marked by identity (a WeakSet of the Request objects the console creates),
// never by a header a client could send, so only the console can mark one. The figures keep them apart
// (middleware/figures.ts): they must not count in the totals, the route tables or the alerts they are shown next to.
const own = new WeakSet<Request>();

export function markOwnRequest(request: Request): Request {
  own.add(request);
  return request;
}

/** The console's in-process API calls and the console's pages themselves (/admin, /admin/…). */
export function isOwnTraffic(request: Request, path: string): boolean {
  return own.has(request) || path === '/admin' || path.startsWith('/admin/');
}
