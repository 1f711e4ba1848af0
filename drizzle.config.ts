// drizzle-kit: `npm run db:generate` writes SQL migrations from db/schema into db/migrations.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://storefront:storefront@127.0.0.1:54320/storefront' },
});
