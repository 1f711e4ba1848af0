// The Durable Objects' ops routes (admin role): exports of their state to R2, the stock check against Postgres, and
// the rebuild of one SKU's InventoryDO from Postgres (docs/runbook.md#a-corrupted-durable-object). The gateway validates and
// documents with these; the admin and checkout workers parse them again, since they are reached over bindings.
import { z } from '@hono/zod-openapi';

const Sku = z.string().trim().toUpperCase().min(1).max(64);
const Subject = z.string().min(1).max(200);

export const RebuildStockBody = z
  .object({
    dryRun: z.boolean().default(true).openapi({
      description: 'true (the default): answer the plan and its diff, change nothing. false: rebuild.',
    }),
    force: z
      .boolean()
      .default(false)
      .openapi({
        description:
          'Rebuild even when Postgres has more sold + held than on hand (REBUILD_OVERSELLS): on hand is then raised ' +
          'to held + sold, so nothing is available until the stock is counted again.',
      }),
    expectVersion: z.number().int().min(0).optional().openapi({
      description:
        'Required to rebuild: `current.version` of the dry run. A changed object is refused (REBUILD_STALE).',
    }),
  })
  .strict();
export type RebuildStockBody = z.output<typeof RebuildStockBody>;

export const ShopperSubject = z.object({
  subject: Subject.openapi({
    param: { name: 'subject', in: 'path' },
    description: "The shopper: a customer id, or `guest:<uuid>` (an order's `owner_sub`).",
    example: 'guest:5f0c6e2e-8f1a-4c1e-9d55-0a7b2c3d4e5f',
  }),
});

export const RebuildOrdersBody = z
  .object({
    dryRun: z.boolean().default(true).openapi({
      description: 'true (the default): answer the plan, change nothing. false: restore the orders the plan names.',
    }),
  })
  .strict();
export type RebuildOrdersBody = z.output<typeof RebuildOrdersBody>;

export const RebuildOrdersAnswer = z
  .object({
    subject: z.string(),
    dryRun: z.boolean(),
    copies: z.number().int().openapi({ description: 'Orders Postgres has of the shopper (hot tables).' }),
    restore: z
      .array(
        z.object({
          id: z.string(),
          status: z.string(),
          version: z.number().int(),
          objectVersion: z.number().int().nullable(),
        }),
      )
      .openapi({
        description:
          'Orders written (or, in a dry run, to be written) from their copy: missing in the object ' +
          '(`objectVersion` null) or older there than in Postgres.',
      }),
    keep: z.array(z.object({ id: z.string(), version: z.number().int(), copyVersion: z.number().int() })).openapi({
      description: "Orders the object has at the copy's version or newer: never overwritten.",
    }),
  })
  .openapi('RebuildOrdersAnswer');

export const DO_EXPORT_KINDS = ['inventory', 'orders', 'carts'] as const;
export type DoExportKind = (typeof DO_EXPORT_KINDS)[number];

export const DoExportStart = z
  .object({
    kinds: z
      .array(z.enum(DO_EXPORT_KINDS))
      .min(1)
      .max(3)
      .refine((k) => new Set(k).size === k.length, 'each kind once')
      .default([...DO_EXPORT_KINDS])
      .openapi({ description: 'Which objects: InventoryDOs, OrdersDOs, CartDOs (default: all three).' }),
    skus: z.array(Sku).min(1).max(200).optional().openapi({
      description: 'Only these SKUs (default: every SKU a variant is sold under).',
    }),
    subjects: z.array(Subject).min(1).max(200).optional().openapi({
      description: "Only these shoppers' OrdersDO and CartDO (default: every shopper Postgres knows).",
    }),
    pageSize: z.number().int().min(1).max(100).default(50).openapi({
      description: 'Objects per call (each call exports one page and answers the cursor of the next).',
    }),
  })
  .strict();
export type DoExportStart = z.output<typeof DoExportStart>;

export const DoExportContinue = z
  .object({ cursor: z.string().min(1).max(2000).openapi({ description: '`cursor` of the previous answer.' }) })
  .strict();

export const DoExportId = z.object({
  id: z
    .string()
    .regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/, 'an export id such as 20261130T175000Z-1a2b3c4d')
    .openapi({ param: { name: 'id', in: 'path' }, example: '20261130T175000Z-1a2b3c4d' }),
});

export const DoExportFile = DoExportId.extend({
  kind: z.enum(DO_EXPORT_KINDS).openapi({ param: { name: 'kind', in: 'path' } }),
  part: z
    .string()
    .regex(/^\d{5}\.ndjson$/, 'a part such as 00001.ndjson')
    .openapi({ param: { name: 'part', in: 'path' }, example: '00001.ndjson' }),
});

export const StockVerifyQuery = z
  .object({
    skus: z
      .string()
      .max(4000)
      .optional()
      .openapi({ description: 'Comma-separated SKUs (default: every SKU, in pages).' }),
    cursor: z.string().min(1).max(64).optional().openapi({ description: '`nextCursor` of the previous page (a SKU).' }),
    limit: z.coerce.number().int().min(1).max(200).default(100),
    include: z
      .enum(['levels'])
      .optional()
      .openapi({
        description:
          "`levels`: also answer each object's own levels (`levels`), as the restore drill compares them with a " +
          "restored cluster's copies.",
      }),
  })
  .strict();
export type StockVerifyQuery = z.output<typeof StockVerifyQuery>;

const Levels = z.object({
  onHand: z.number().int(),
  held: z.number().int(),
  sold: z.number().int(),
  maxPerCustomer: z.number().int().nullable(),
  version: z.number().int(),
});

export const StockDifference = z
  .object({
    sku: z.string(),
    problem: z.enum(['object_lost', 'object_behind', 'differs', 'copy_missing', 'copy_behind']).openapi({
      description:
        'object_lost: the object has no state but Postgres has a copy; object_behind: the copy has a newer version ' +
        'than the object; differs: same version, other figures (a corrupted object or copy); copy_missing / ' +
        'copy_behind: the object changed longer ago than the copies take and Postgres does not have it.',
    }),
    object: Levels.nullable(),
    postgres: Levels.nullable(),
  })
  .openapi('StockDifference');
export type StockDifference = z.output<typeof StockDifference>;

export const StockVerifyPage = z
  .object({
    checked: z.number().int(),
    differences: z.array(StockDifference),
    failed: z.array(z.object({ sku: z.string(), error: z.string() })),
    nextCursor: z.string().nullable(),
    levels: z
      .array(z.object({ sku: z.string(), object: Levels.extend({ updatedAt: z.number().int() }).nullable() }))
      .optional()
      .openapi({
        description:
          'With `include=levels`: the levels of every object that answered (null: no state), `updatedAt` in ms ' +
          'since the epoch.',
      }),
  })
  .openapi('StockVerifyPage');

const ExportFile = z.object({
  key: z.string(),
  kind: z.enum(DO_EXPORT_KINDS),
  records: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
});

export const DoExportManifest = z
  .object({
    exportId: z.string(),
    format: z.literal('ndjson'),
    bucket: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    catalogGeneration: z.string().nullable(),
    scope: z.object({
      kinds: z.array(z.enum(DO_EXPORT_KINDS)),
      skus: z.number().int().nullable(),
      subjects: z.number().int().nullable(),
    }),
    counts: z.record(
      z.string(),
      z.object({
        asked: z.number().int(),
        records: z.number().int(),
        failed: z.number().int(),
        differences: z.number().int(),
      }),
    ),
    files: z.array(ExportFile),
  })
  .openapi('DoExportManifest');
export type DoExportManifest = z.output<typeof DoExportManifest>;

export const DoExportProgress = z
  .object({
    exportId: z.string(),
    done: z.boolean(),
    cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Send it back (POST …/pages) for the next page; null when done.' }),
    wrote: ExportFile.nullable().openapi({ description: 'The file this call wrote (null when its page was empty).' }),
    manifest: DoExportManifest.nullable(),
  })
  .openapi('DoExportProgress');
export type DoExportProgress = z.output<typeof DoExportProgress>;
