// Cart request and response schemas (validation and OpenAPI).
import { z } from '@hono/zod-openapi';
import { Money, skuSchema, Timestamp } from '../catalog/schemas';

const upper = (v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : v);
export const CartSku = z.preprocess(upper, skuSchema);

export const AddItemBody = z
  .object({ sku: CartSku, quantity: z.number().int().min(1).max(1000).default(1) })
  .strict()
  .openapi('AddCartItem');
export const SetQuantityBody = z
  .object({ quantity: z.number().int().min(0).max(1000).openapi({ description: '0 removes the line.' }) })
  .strict()
  .openapi('SetCartQuantity');
export const SkuParam = z.object({ sku: CartSku });

export const CartView = z
  .object({
    lines: z.array(
      z.object({
        sku: z.string(),
        productSlug: z.string(),
        title: z.string(),
        image: z.string().nullable(),
        quantity: z.number().int(),
        unitPrice: Money,
        lineTotal: Money,
        priceChanged: z.boolean().openapi({ description: 'The price differs from when the line was added.' }),
        previousUnitPrice: Money.optional(),
        available: z.boolean().openapi({ description: 'False when the SKU is no longer sold; not in the subtotal.' }),
      }),
    ),
    subtotal: Money.nullable(),
    itemCount: z.number().int(),
    currency: z.string().nullable(),
    version: z.number().int(),
    expiresAt: Timestamp.nullable().openapi({
      description: 'When the cart is deleted if left idle; null for a cart never written to.',
    }),
  })
  .openapi('Cart');
export type CartView = z.infer<typeof CartView>;
