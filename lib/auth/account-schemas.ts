// The account's request and response schemas (validation and OpenAPI): the profile, saved addresses, emailed links
// (password reset, email verification) and deleting the account. Sessions are in schemas.ts.
import { z } from '@hono/zod-openapi';
import { ShippingAddressSchema } from '../checkout/schemas';
import { NO_NUL, NO_NUL_MESSAGE } from '../validation';
import { email, NewPassword } from './schemas';

/** An emailed link's token: 32 random bytes, base64url (43 characters). */
const LinkToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'the token from the emailed link (43 characters)')
  .openapi({ example: 'q3V0dGVyZmx5LXRva2VuLWZyb20tdGhlLWVtYWlsZWQ' });

export const Profile = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    name: z.string().nullable(),
    emailVerified: z.boolean(),
    createdAt: z.string().openapi({ description: 'ISO 8601.' }),
  })
  .openapi('Profile');

export const ProfilePatch = z
  .object({
    name: z
      .string()
      .trim()
      .max(100)
      .regex(NO_NUL, NO_NUL_MESSAGE)
      .nullable()
      .openapi({ description: 'Empty or null clears it.' }),
  })
  .strict()
  .openapi('ProfilePatch');

export const SavedAddress = z
  .object({
    id: z.string().uuid(),
    address: ShippingAddressSchema,
    isDefault: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('SavedAddress');

export const SavedAddressList = z
  .object({
    addresses: z.array(SavedAddress).openapi({ description: 'The default first, then the newest first.' }),
    max: z.number().int().openapi({ description: 'How many addresses an account can keep (MAX_SAVED_ADDRESSES).' }),
  })
  .openapi('SavedAddressList');

export const AddressBody = z
  .object({
    address: ShippingAddressSchema,
    isDefault: z.boolean().optional().openapi({ description: 'Make it the default (the first address always is).' }),
  })
  .strict()
  .openapi('SavedAddressBody');

export const AddressPatch = z
  .object({
    address: ShippingAddressSchema.optional(),
    isDefault: z.boolean().optional(),
  })
  .strict()
  .refine((p) => p.address !== undefined || p.isDefault !== undefined, 'nothing to change: send address or isDefault')
  .openapi('SavedAddressPatch');

export const AddressId = z
  .object({
    id: z
      .string()
      .uuid()
      .openapi({ param: { name: 'id', in: 'path' } }),
  })
  .strict();

export const PasswordResetBody = z.object({ email }).strict().openapi('PasswordResetRequest');

export const PasswordResetConfirmBody = z
  .object({ token: LinkToken, password: NewPassword })
  .strict()
  .openapi('PasswordResetConfirm');

export const VerifyEmailBody = z.object({ token: LinkToken }).strict().openapi('VerifyEmailRequest');

export const DeleteAccountBody = z
  .object({ password: z.string().min(1).max(200).openapi({ description: "The account's password, again." }) })
  .strict()
  .openapi('DeleteAccountRequest');

export const Accepted = z
  .object({ message: z.string() })
  .openapi('Accepted', { description: 'The request is taken; what happens next arrives by email.' });
