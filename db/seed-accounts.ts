// Development accounts (dev and test stacks only; production has no default accounts). Idempotent.
import pg from 'pg';
import { hashPassword } from '../lib/auth/password';

export const devAccounts = [
  { email: 'admin@storefront.local', password: 'dev-admin-password', role: 'admin', name: 'Dev Admin' },
  { email: 'merchant@storefront.local', password: 'dev-merchant-password', role: 'merchant', name: 'Dev Merchant' },
] as const;

export async function seedDevAccounts(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    for (const a of devAccounts) {
      const exists = await client.query('select 1 from customers where lower(email) = $1', [a.email]);
      if (exists.rowCount) continue;
      await client.query(
        'insert into customers (email, name, password_hash, role) values ($1, $2, $3, $4) on conflict do nothing',
        [a.email, a.name, await hashPassword(a.password), a.role],
      );
    }
  } finally {
    await client.end();
  }
}
