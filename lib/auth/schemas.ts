// Identity request and response schemas (validation and OpenAPI).
import { z } from '@hono/zod-openapi';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';

export const email = z
  .preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.email().max(254))
  .openapi({ example: 'shopper@example.com' });

/** A new password (register, reset): at least 10 characters. */
export const NewPassword = z
  .string()
  .min(10, 'at least 10 characters')
  .max(200)
  .openapi({ example: 'correct horse battery' });

export const RegisterBody = z
  .object({
    email,
    password: NewPassword,
    name: z.string().trim().min(1).max(100).regex(NO_NUL, NO_NUL_MESSAGE).optional(),
  })
  .strict()
  .openapi('RegisterBody');

export const LoginBody = z
  .object({ email, password: z.string().min(1).max(200) })
  .strict()
  .openapi('LoginBody');

export const RefreshBody = z
  .object({
    refreshToken: z
      .string()
      .min(20)
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/),
  })
  .strict()
  .openapi('RefreshBody');

export const Session = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the access token expires.' }),
    subject: z.string(),
    role: z.enum(['guest', 'customer', 'merchant', 'admin']),
  })
  .openapi('Session');

export const CartMerge = z
  .object({
    merged: z.number().int().openapi({ description: "Items moved from the guest cart into the account's cart." }),
    kept: z
      .array(
        z.object({
          sku: z.string(),
          quantity: z.number().int(),
          reason: z.enum(['LINE_QUANTITY', 'MAX_LINES', 'MAX_ITEMS', 'CURRENCY']).openapi({
            description:
              "Why it did not fit the account's cart: LINE_QUANTITY (over the per-item bound), MAX_LINES (no room " +
              'for another line), MAX_ITEMS (over the items bound), CURRENCY (the account cart is in another one).',
          }),
        }),
      )
      .openapi({ description: 'What stays in the guest cart (the guest token still reaches it), line by line.' }),
  })
  .openapi('CartMerge');

/** A login's answer: the session, and what happened to the guest cart when a guest token was the bearer. */
export const LoginSession = Session.extend({ cartMerge: CartMerge.optional() }).openapi('LoginSession');
