// Archival's routes (docs/runbook.md#archival): a run (admin role), the list of archived batches with their
// manifests (merchants), and the archived order's mark on GET /v1/admin/orders/{id}. The gateway validates and
// documents with these; the admin worker parses them again, since it is reached over a binding.
import { z } from '@hono/zod-openapi';
import { AdminOrder } from '../checkout/admin-schemas';

const Range = z
  .object({ from: z.string(), to: z.string() })
  .nullable()
  .openapi({ description: 'The oldest and newest time of these rows (ISO 8601); null when there are none.' });

export const ArchiveCounts = z
  .object({
    orders: z.number().int(),
    orderLines: z.number().int(),
    payments: z.number().int(),
    orderEvents: z.number().int(),
    stockEvents: z.number().int(),
  })
  .openapi('ArchiveCounts');
export type ArchiveCounts = z.infer<typeof ArchiveCounts>;

export const ArchiveManifest = z
  .object({
    batchId: z.number().int(),
    key: z.string().openapi({ description: 'The R2 object (ARCHIVE bucket) holding the rows.' }),
    format: z.literal('ndjson+gzip').openapi({
      description:
        'One JSON line per row, `{"table": …, "row": {…}}` (the row as Postgres `row_to_json` gives it), gzip.',
    }),
    cutoff: z.string().openapi({ description: 'Rows created before this were taken (ISO 8601).' }),
    writtenAt: z.string(),
    counts: ArchiveCounts,
    sha256: z.string().openapi({ description: 'SHA-256 (hex) of the uncompressed body.' }),
    bytes: z.number().int().openapi({ description: 'Size of the uncompressed body.' }),
    compressedBytes: z.number().int(),
    range: z.object({ orders: Range, orderEvents: Range, stockEvents: Range }).openapi({
      description: "Time range of the orders' creation, their events and the stock events.",
    }),
  })
  .openapi('ArchiveManifest');
export type ArchiveManifest = z.infer<typeof ArchiveManifest>;

export const ArchiveRun = z
  .object({
    cutoff: z.string().openapi({ description: 'Settled orders created and stock events made before this were due.' }),
    closedCutoff: z.string().openapi({
      description:
        'Orders closed by the refund window (fulfilled, payment_failed, canceled, expired) created before this, ' +
        'and unchanged since before `cutoff`, were due.',
    }),
    batches: z.array(ArchiveManifest).openapi({ description: 'The batches this run archived.' }),
    moved: ArchiveCounts,
    more: z.boolean().openapi({ description: 'The run stopped at its time or batch bound with rows still due.' }),
  })
  .openapi('ArchiveRun');
export type ArchiveRun = z.infer<typeof ArchiveRun>;

export const ArchiveBatchQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .regex(/^[1-9]\d{0,15}$/, 'a cursor from a previous page')
      .optional()
      .openapi({ description: '`nextCursor` of the previous page.' }),
  })
  .strict();
export type ArchiveBatchQuery = z.output<typeof ArchiveBatchQuery>;

export const ArchiveBatch = z
  .object({ batchId: z.number().int(), archivedAt: z.string(), manifest: ArchiveManifest })
  .openapi('ArchiveBatch');
export const ArchiveBatchList = z
  .object({ batches: z.array(ArchiveBatch), nextCursor: z.string().nullable() })
  .openapi('ArchiveBatchList');

/** GET /v1/admin/orders/{id}: the order, from its OrdersDO or, once archived, from its archive batch. */
export const AdminOrderRead = AdminOrder.extend({
  archived: z.boolean().openapi({
    description:
      "true: read from the archive (R2), where the order's Postgres copy went once settled and old " +
      '(refunds and fulfilment are not in that copy: `refunds` is empty and `payment.refunded` says what was).',
  }),
  archive: z
    .object({ batchId: z.number().int(), key: z.string() })
    .nullable()
    .openapi({ description: 'The batch holding it (archived orders only).' }),
}).openapi('AdminOrderRead');
export type AdminOrderRead = z.infer<typeof AdminOrderRead>;
