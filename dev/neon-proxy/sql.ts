// dev/neon-proxy/sql.ts — the HTTP side of dev/neon-proxy.ts: `POST /sql` as Neon's proxy answers it (one query,
// or a batch in one transaction with the requested isolation), over a pg pool per connection string, loopback only.
// The wire format mirrors Neon's proxy (proxy/src/serverless/sql_over_http.rs) as consumed by driver 1.2.0.
import type http from 'node:http';
import pg from 'pg';

export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const CONNECT_TIMEOUT_MS = 1000; // fail fast when Postgres is down instead of hanging a request
export const STATEMENT_TIMEOUT_MS = 30_000;
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const ISOLATION: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};
// Neon always answers with every error field present (null when absent); the driver copies these.
export const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;
// pg must hand back the raw text of every value: the driver runs its own type parsers on it.
export const RAW_TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** An error we raise ourselves, with the HTTP status to answer with. */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
export interface QueryData {
  query: string;
  params?: unknown[];
  arrayMode?: boolean;
}

export const stripBrackets = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

/** Pool settings for a Neon-Connection-String; only loopback hosts, TLS and Neon-only params ignored. */
function poolConfigFor(connectionString: string): pg.PoolConfig {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new ProxyError(400, 'invalid Neon-Connection-String');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ProxyError(400, 'Neon-Connection-String must be a postgres:// URL');
  }
  const host = stripBrackets(url.hostname);
  if (!LOOPBACK.has(host)) throw new ProxyError(403, `neon-proxy only connects to loopback hosts, not "${host}"`);
  return {
    host,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    application_name: url.searchParams.get('application_name') ?? 'neon-proxy',
    max: 10,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 5_000,
    types: RAW_TEXT_TYPES,
  };
}

const isDbError = (e: unknown): e is pg.DatabaseError => e instanceof pg.DatabaseError;

/** Neon's error JSON: Postgres errors -> 400 with all fields; connection/internal problems -> 500. */
function errorResponse(err: unknown, connecting: boolean): { status: number; body: Record<string, unknown> } {
  const body: Record<string, unknown> = Object.fromEntries(ERROR_FIELDS.map((f) => [f, null]));
  if (isDbError(err)) {
    for (const f of ERROR_FIELDS) body[f] = err[f] ?? null;
    return { status: 400, body: { message: err.message, ...body } };
  }
  if (err instanceof ProxyError) return { status: err.status, body: { message: err.message, ...body } };
  const msg = err instanceof Error ? err.message : String(err);
  // Real Neon answers 500 ("Couldn't connect to compute node") when the compute is unreachable.
  return { status: 500, body: { message: connecting ? `Couldn't connect to compute node: ${msg}` : msg, ...body } };
}

/** Run one statement with the extended protocol (one statement only, like Neon) and shape it like Neon. */
async function runQuery(client: pg.PoolClient, q: QueryData, defaultArrayMode: boolean) {
  if (typeof q?.query !== 'string') throw new ProxyError(400, 'request body needs "query" (string)');
  const arrayMode = q.arrayMode ?? defaultArrayMode;
  const r = await client.query({
    text: q.query,
    values: q.params ?? [],
    rowMode: 'array',
    types: RAW_TEXT_TYPES,
    queryMode: 'extended',
  } as pg.QueryArrayConfig);
  const fields = r.fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: 'text',
  }));
  const rows = arrayMode ? r.rows : r.rows.map((row) => Object.fromEntries(fields.map((f, i) => [f.name, row[i]])));
  return { command: r.command, rowCount: r.rowCount, rowAsArray: arrayMode, fields, rows };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new ProxyError(413, 'request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers `POST /sql` requests; one pg pool per Neon-Connection-String, all ended by close(). */
export function createSqlHandler(log: (line: string) => void) {
  const pools = new Map<string, pg.Pool>();

  function poolFor(connectionString: string): pg.Pool {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool(poolConfigFor(connectionString));
      // Idle clients die when Postgres restarts; without a listener that would crash the process.
      pool.on('error', (e) => log(`pool: idle client error: ${e.message}`));
      pools.set(connectionString, pool);
    }
    return pool;
  }

  async function handleSql(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const h = req.headers;
    const connStr = h['neon-connection-string'];
    if (typeof connStr !== 'string') throw new ProxyError(400, 'missing Neon-Connection-String header');
    if (h['neon-raw-text-output'] !== 'true')
      log('note: Neon-Raw-Text-Output is not "true"; answering raw text anyway');
    const arrayMode = h['neon-array-mode'] === 'true';
    const level = h['neon-batch-isolation-level'];
    if (typeof level === 'string' && !ISOLATION[level]) throw new ProxyError(400, 'invalid isolation level');
    let payload: { queries?: QueryData[] } & QueryData;
    try {
      payload = JSON.parse(await readBody(req));
    } catch (e) {
      throw e instanceof ProxyError ? e : new ProxyError(400, 'request body is not valid JSON');
    }
    if (typeof payload !== 'object' || payload === null) throw new ProxyError(400, 'request body must be an object');
    const pool = poolFor(connStr);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      return errorResponse(e, true);
    }
    let broken: Error | boolean = false;
    // pg-pool takes its idle listener off a checked-out client: a server stopped between two statements
    // (57P01, "terminating connection due to administrator command") would otherwise be an unhandled
    // 'error' event that ends the whole process hosting the proxy (the test run's main process in CI).
    const onError = (e: Error) => {
      broken = e;
      log(`client: error while checked out: ${e.message}`);
    };
    client.on('error', onError);
    try {
      if (!Array.isArray(payload.queries)) return { status: 200, body: await runQuery(client, payload, arrayMode) };
      // Batch = one transaction with the requested characteristics, like sql.transaction() on Neon.
      let begin = 'BEGIN';
      if (typeof level === 'string') begin += ` ISOLATION LEVEL ${ISOLATION[level]}`;
      if (h['neon-batch-read-only'] === 'true') begin += ' READ ONLY';
      if (h['neon-batch-deferrable'] === 'true') begin += ' DEFERRABLE';
      await client.query(begin);
      try {
        const results = [];
        for (const q of payload.queries) results.push(await runQuery(client, q, arrayMode));
        await client.query('COMMIT');
        return { status: 200, body: { results } };
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw e;
      }
    } catch (e) {
      if (!isDbError(e) && !(e instanceof ProxyError)) broken = e instanceof Error ? e : true;
      // A server that ended the session (57P01 and its kin, FATAL) or a lost connection (08xxx): never pooled again.
      if (isDbError(e) && (e.severity === 'FATAL' || e.severity === 'PANIC' || /^(57P|08)/.test(e.code ?? '')))
        broken = e;
      return errorResponse(e, false);
    } finally {
      // Never pool a connection left inside a transaction (e.g. a lone "BEGIN" sent over HTTP).
      if (!broken && client.getTransactionStatus() !== 'I') broken = true;
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  return {
    handle: (req: http.IncomingMessage) => handleSql(req).catch((e) => errorResponse(e, false)),
    close: () => Promise.all([...pools.values()].map((p) => p.end().catch(() => {}))),
  };
}
