// The audit log's query and answer schemas (GET /v1/admin/audit). The gateway validates and documents with them;
// the admin worker parses the same query again, since it is reached over a binding.
import { z } from '@hono/zod-openapi';
import { Timestamp } from '../catalog/schemas';

const iso = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

export const AuditQuery = z
  .object({
    actor: z
      .string()
      .trim()
      .min(1)
      .max(320)
      .optional()
      .openapi({ description: "The actor's customer id or email (case-insensitive).", example: 'merchant@x.test' }),
    action: z
      .string()
      .regex(/^[a-z][a-z_]*(\.[a-z_]+)*(\.\*)?$/, 'an action such as product.update, or a prefix such as product.*')
      .max(100)
      .optional()
      .openapi({ description: 'An action (`product.update`), or all of a kind (`product.*`).' }),
    targetType: z
      .string()
      .regex(/^[a-z_]{1,40}$/, 'lowercase letters and _')
      .optional(),
    targetId: z.string().min(1).max(200).optional(),
    from: iso.optional().openapi({ description: 'At or after this time (ISO 8601).', example: '2026-11-01T00:00:00Z' }),
    to: iso.optional().openapi({ description: 'Before this time (ISO 8601).' }),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'a cursor from nextCursor')
      .optional()
      .openapi({ description: '`nextCursor` of the previous page.' }),
  })
  .strict()
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => q.targetId === undefined || q.targetType !== undefined, {
    message: 'targetId needs targetType',
    path: ['targetId'],
  });
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditEntry = z
  .object({
    id: z.string(),
    at: Timestamp,
    actor: z.object({ sub: z.string(), email: z.string().nullable(), role: z.string() }),
    action: z.string().openapi({ example: 'product.update' }),
    target: z.object({ type: z.string(), id: z.string() }),
    before: z.unknown().openapi({ description: 'The target before the write (null: it did not exist).' }),
    after: z.unknown().openapi({ description: 'The target after the write (null: deleted, or not recorded).' }),
    outcome: z.enum(['succeeded', 'pending', 'failed']).openapi({
      description:
        '`pending`: sent to a Durable Object and its outcome never recorded; `failed`: refused, nothing changed.',
    }),
    error: z.string().nullable(),
    requestId: z.string(),
    address: z.string().nullable(),
  })
  .openapi('AuditEntry');

export const AuditPageSchema = z
  .object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() })
  .openapi('AuditPage');
