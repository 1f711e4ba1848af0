// A customer's own account: the profile, saved addresses (capped per customer: the cap is a counter on the
// customer row, bumped by the same statement that inserts, so two saves racing cannot pass it; the default is the
// address marked last) and deleting the account (docs/identity.md#deleting-an-account).
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Profile, SavedAddress } from '../../../../lib/auth/account-schemas';
import { verifyAgainstDecoy, verifyPassword } from '../../../../lib/auth/password';
import { AppError } from '../../../../lib/errors';
import { log } from '../../../../lib/log';
import { gatewayConfig } from '../config';
import { db, type IdentityEnv } from './identity.service';

type Env = IdentityEnv;
type ProfileView = z.infer<typeof Profile>;
type AddressView = z.infer<typeof SavedAddress>;
/** As validated by ShippingAddressSchema (the checkout's), so a saved one can be sent to checkout as it is. */
type ShippingAddress = AddressView['address'];

const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const gone = () => new AppError('UNAUTHORIZED', 'This account no longer exists; sign in again.');

export async function profile(env: Env, customerId: string): Promise<ProfileView> {
  const rows = await db(env, (p) =>
    p.execute<{ id: string; email: string; name: string | null; verified: boolean; created_at: string }>(sql`
      select id, email, name, email_verified_at is not null as verified, ${iso('created_at')} as created_at
      from customers where id = ${customerId}::uuid`),
  );
  const r = rows.rows[0];
  if (!r) throw gone();
  return { id: r.id, email: r.email, name: r.name, emailVerified: r.verified, createdAt: r.created_at };
}

export async function updateProfile(env: Env, customerId: string, patch: { name: string | null }) {
  const name = patch.name?.trim() || null;
  const rows = await db(env, (p) =>
    p.execute(sql`update customers set name = ${name} where id = ${customerId}::uuid returning id`),
  );
  if (!rows.rows[0]) throw gone();
  return profile(env, customerId);
}

/** The caller's addresses, the default first; `id` narrows to one. */
async function addresses(env: Env, customerId: string, id?: string): Promise<AddressView[]> {
  const rows = await db(env, (p) =>
    p.execute<{ id: string; address: ShippingAddress; is_default: boolean; created_at: string; updated_at: string }>(
      sql`select a.id, a.address, ${iso('a.created_at')} as created_at, ${iso('a.updated_at')} as updated_at,
            a.id = (select d.id from customer_addresses d where d.customer_id = a.customer_id
                    and d.default_at is not null order by d.default_at desc, d.id limit 1) as is_default
          from customer_addresses a
          where a.customer_id = ${customerId}::uuid ${id ? sql`and a.id = ${id}::uuid` : sql``}
          order by is_default desc, a.created_at desc, a.id`,
    ),
  );
  return rows.rows.map((r) => ({
    id: r.id,
    address: r.address,
    isDefault: r.is_default,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function listAddresses(env: Env, customerId: string) {
  return { addresses: await addresses(env, customerId), max: gatewayConfig(env).MAX_SAVED_ADDRESSES };
}

const notFound = () => new AppError('NOT_FOUND', 'No such saved address.');

async function one(env: Env, customerId: string, id: string): Promise<AddressView> {
  const [found] = await addresses(env, customerId, id);
  if (!found) throw notFound();
  return found;
}

/** Saves an address; the first one is the default whatever `isDefault` says. 409 at the cap. */
export async function addAddress(
  env: Env,
  customerId: string,
  input: { address: ShippingAddress; isDefault?: boolean },
): Promise<AddressView> {
  const max = gatewayConfig(env).MAX_SAVED_ADDRESSES;
  const rows = await db(env, (p) =>
    p.execute<{ id: string }>(sql`
      with slot as (
        update customers set address_count = address_count + 1
        where id = ${customerId}::uuid and address_count < ${max}
        returning address_count
      )
      insert into customer_addresses (customer_id, address, default_at)
      select ${customerId}::uuid, ${JSON.stringify(input.address)}::jsonb,
             case when ${input.isDefault === true} or slot.address_count = 1 then clock_timestamp() end
      from slot
      returning id`),
  );
  const id = rows.rows[0]?.id;
  if (!id)
    throw new AppError('ADDRESS_LIMIT_EXCEEDED', `An account keeps at most ${max} addresses; delete one first.`, {
      details: { max },
    });
  return one(env, customerId, id);
}

export async function updateAddress(
  env: Env,
  customerId: string,
  id: string,
  patch: { address?: ShippingAddress; isDefault?: boolean },
): Promise<AddressView> {
  const address = patch.address ? JSON.stringify(patch.address) : null;
  const isDefault = patch.isDefault ?? null;
  const rows = await db(env, (p) =>
    p.execute(sql`
      update customer_addresses set
        address = coalesce(${address}::jsonb, address),
        default_at = case when ${isDefault}::boolean is true then clock_timestamp()
                          when ${isDefault}::boolean is false then null else default_at end,
        updated_at = now()
      where id = ${id}::uuid and customer_id = ${customerId}::uuid
      returning id`),
  );
  if (!rows.rows[0]) throw notFound();
  return one(env, customerId, id);
}

export async function deleteAddress(env: Env, customerId: string, id: string): Promise<void> {
  const rows = await db(env, (p) =>
    p.execute(sql`
      with gone as (
        delete from customer_addresses where id = ${id}::uuid and customer_id = ${customerId}::uuid
        returning customer_id
      )
      update customers set address_count = address_count - 1 from gone where customers.id = gone.customer_id
      returning 1`),
  );
  if (!rows.rows[0]) throw notFound();
}

/**
 * DELETE /v1/me: with the password again. The customer row goes, and with it (cascade) every saved address and
 * emailed link; every refresh-token family is revoked. Orders stay as the merchant's records (docs/identity.md).
 */
export async function deleteAccount(env: Env, customerId: string, password: string): Promise<void> {
  const rows = await db(env, (p) =>
    p.execute<{ password_hash: string; role: string }>(
      sql`select password_hash, role from customers where id = ${customerId}::uuid`,
    ),
  );
  const account = rows.rows[0];
  const ok = account
    ? await verifyPassword(password, account.password_hash)
    : await verifyAgainstDecoy(password, gatewayConfig(env).PASSWORD_ITERATIONS);
  if (!account) throw gone();
  if (!ok) throw new AppError('INVALID_CREDENTIALS', 'The password is not right; the account is kept.');
  // Staff accounts run the shop: they are removed by an admin, not from the shopper's page.
  if (account.role !== 'customer')
    throw new AppError('FORBIDDEN', 'Merchant and admin accounts cannot delete themselves here.');
  await db(env, (p) =>
    p.execute(sql`
      with erased as (delete from customers where id = ${customerId}::uuid returning id)
      update refresh_tokens set revoked_at = now()
      where subject in (select id::text from erased) and revoked_at is null`),
  );
  log.info('account deleted', { customerId });
}
