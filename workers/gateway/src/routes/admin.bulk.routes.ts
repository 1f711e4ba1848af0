// The merchant catalog's bulk routes (docs/admin.md#bulk-import-and-export): the CSV export of every product and
// variant, streamed from the admin worker, and the CSV import, whose body goes to the admin worker as a stream
// (never buffered here). Registered on the catalog router (admin.catalog.routes.ts) before `/products/{slug}`,
// which would otherwise take "export.csv" for a slug.
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  BULK_COLUMNS,
  BULK_MAX_BYTES,
  BULK_MAX_ROWS,
  ExportQuery,
  ImportQuery,
  ImportReport,
} from '../../../../lib/admin/bulk.schemas';
import { AppError, validationError } from '../../../../lib/errors';
import { unwrapAnswer } from '../../../../lib/rpc';
import { traced } from '../../../../lib/trace';
import { actorOf } from '../auth/actor';
import type { GatewayApp } from '../types';
import { bearer, failure, json } from './openapi';

const csv = (description: string) => ({
  content: { 'text/csv': { schema: z.string().openapi({ description }) } },
});
const guarded = { 401: failure('No token'), 403: failure('Below the merchant role') };

/**
 * A text/csv body (else 415) of at most BULK_MAX_BYTES by its Content-Length (else 413). A body sent without a
 * length is streamed on and counted by the admin worker as it reads, which stops at the same limit (413). The query
 * is checked first, as on every route: a bad parameter is a 400 whatever the body.
 */
function csvBody(): MiddlewareHandler<GatewayApp> {
  return async function csvBodyMiddleware(c, next) {
    const query = ImportQuery.safeParse(c.req.query());
    if (!query.success) throw validationError('query', query.error.issues);
    const type = c.req.header('content-type') ?? '';
    if (!/^text\/csv\s*(;|$)/i.test(type)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv.');
    // The file is read as UTF-8: a declared other charset would be misread, so it is refused rather than guessed.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
    if (charset && !/^utf-?8$/i.test(charset))
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the file as UTF-8 text/csv (it says charset=${charset}).`);
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > BULK_MAX_BYTES)
      throw new AppError('PAYLOAD_TOO_LARGE', `The file is larger than ${BULK_MAX_BYTES} bytes.`, {
        details: { maxBytes: BULK_MAX_BYTES, maxRows: BULK_MAX_ROWS },
      });
    return next();
  };
}

export function addBulkRoutes(routes: OpenAPIHono<GatewayApp>) {
  routes.openapi(
    createRoute({
      method: 'get',
      path: '/products/export.csv',
      tags: ['Merchant'],
      summary: 'Export every product and variant as CSV (one row per variant), streamed',
      description:
        `Columns: ${BULK_COLUMNS.join(', ')}. UTF-8 with a byte order mark (for spreadsheets); RFC 4180 quoting; ` +
        'a cell starting with =, +, -, @, tab or CR is ' +
        "written with a leading ' (spreadsheets then show it as text; the import takes it off again). `stock` is " +
        "on hand from Postgres' copy of the stock (about a second behind the live figure). Importing the file " +
        'unchanged changes nothing.',
      security: bearer,
      request: { query: ExportQuery },
      responses: {
        200: {
          description: 'The CSV (Content-Disposition: attachment)',
          ...csv('The file'),
          headers: z.object({ 'content-disposition': z.string() }),
        },
        400: failure('A bad query (the category slug)'),
        ...guarded,
      },
    }),
    async (c) => {
      const answer = unwrapAnswer(await traced(c.env.ADMIN).exportProducts(actorOf(c), c.req.valid('query')));
      const day = new Date().toISOString().slice(0, 10);
      return new Response(answer.csv, {
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="products-${day}.csv"`,
          'cache-control': 'no-store',
        },
      }) as never;
    },
  );

  routes.openapi(
    createRoute({
      method: 'post',
      path: '/products/import',
      tags: ['Merchant'],
      summary: 'Import products and variants from CSV: idempotent by SKU, with a per-row report',
      description:
        `The body is a CSV file (text/csv, UTF-8, at most ${BULK_MAX_BYTES / 1024 / 1024} MB and ` +
        `${BULK_MAX_ROWS} rows) with the export's columns; \`option*\` and \`stock\` may be left out. A row whose ` +
        'SKU exists updates that variant and its product; a new SKU creates it (and its product when the handle is ' +
        'new); the same file twice changes nothing the second time. The accepted rows are written in one ' +
        'transaction with one audit entry (`product.import`), then shoppers see them within the catalog bound.',
      security: bearer,
      middleware: [csvBody()] as const,
      request: {
        query: ImportQuery,
        body: { required: true, ...csv('The file, with the header row first') },
      },
      responses: {
        200: { description: 'The report: each row created, updated, unchanged or rejected', ...json(ImportReport) },
        400: failure('Not a valid file: bad CSV quoting, not UTF-8, an unknown or missing column, empty'),
        ...guarded,
        413: failure(`Larger than ${BULK_MAX_BYTES} bytes or ${BULK_MAX_ROWS} rows (PAYLOAD_TOO_LARGE)`),
        415: failure('Not text/csv, or a charset other than UTF-8 (UNSUPPORTED_MEDIA_TYPE)'),
        422: failure('mode=apply and some rows are rejected (IMPORT_REJECTED): nothing written, the report in details'),
      },
    }),
    async (c) => {
      const body = c.req.raw.body;
      if (!body) throw new AppError('VALIDATION_FAILED', 'Send the CSV file as the body.');
      const report = unwrapAnswer(await traced(c.env.ADMIN).importProducts(actorOf(c), body, c.req.valid('query')));
      return c.json(report as never, 200);
    },
  );
}
