// Catalog tables: categories (a tree), products (with a generated full-text search vector) and their variants.
// Money is an integer amount in minor units plus an ISO 4217 currency code, never a float.
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  char,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const categories = pgTable('categories', {
  id: serial('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  parentId: integer('parent_id').references((): AnyPgColumn => categories.id),
  // Slash-joined slugs from the root ("apparel/mens/shirts"): a subtree is one prefix match, no recursion.
  path: text('path').notNull().unique(),
  position: integer('position').notNull().default(0),
});

export const productStatus = ['draft', 'published', 'archived'] as const;

export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull().unique(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    brand: text('brand').notNull(),
    // The brand as filters compare it and facets count it (facet_norm, migration 0014: trimmed, whitespace
    // collapsed, lower case), so that every brand can be selected.
    brandKey: text('brand_key').notNull().generatedAlwaysAs(sql`facet_norm(brand)`),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    status: text('status', { enum: productStatus }).notNull().default('published'),
    // The lowest variant price: what lists show ("from") and sort by.
    priceAmount: integer('price_amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    images: jsonb('images').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    // [{name: "Size", values: ["S", "M"]}]: each variant's `options` names one value of each.
    options: jsonb('options').$type<{ name: string; values: string[] }[]>().notNull().default(sql`'[]'::jsonb`),
    // Kept as Postgres text so keyset cursors round-trip with full microsecond precision.
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    // The variant options facets count and filter on (migration 0013, kept by statement triggers on
    // product_variants): `kind:value` in lower case (`size:m`, `colour:navy`; a `Color` option is `colour`),
    // distinct and sorted, and beside each the value as the variants spell it (`M`, `Navy`). Values are normalized
    // as filters normalize them (facet_norm(), migration 0014: trimmed, whitespace collapsed, lower case).
    facetKeys: text('facet_keys').array().notNull().default(sql`'{}'::text[]`),
    facetLabels: text('facet_labels').array().notNull().default(sql`'{}'::text[]`),
    // Each variant's combinations of two or more of its keys, joined by a newline in key order
    // (`colour:navy\nsize:m`; migration 0014): options selected together match one variant that has all of them.
    facetCombos: text('facet_combos').array().notNull().default(sql`'{}'::text[]`),
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', brand), 'B') || setweight(to_tsvector('english', description), 'C')`,
      ),
  },
  (t) => [
    index('products_search_idx').using('gin', t.search),
    // The title's and the title and brand's lexemes (weights A, and A and B): relevance's tiers (migration 0012).
    // Their statistics tell the planner how many of a word's matches are in titles, so that it walks the rank
    // order only where a page fills quickly and takes the (small) bitmap otherwise.
    index('products_search_title_idx').using('gin', sql`ts_filter(${t.search}, '{a}')`),
    index('products_search_title_brand_idx').using('gin', sql`ts_filter(${t.search}, '{a,b}')`),
    // The title's own words, unstemmed (the `title_exact` configuration of migration 0021: `simple` with English stop
    // words): relevance's exact tier, a title with every word of the query as written above one that matches by
    // stems (workers/catalog/src/relevance.ts `titleWords` is the same expression).
    index('products_title_words_idx').using('gin', sql`to_tsvector('title_exact'::regconfig, ${t.title})`),
    index('products_newest_idx').on(t.createdAt.desc(), t.id.desc()),
    index('products_price_idx').on(t.priceAmount, t.id),
    index('products_category_idx').on(t.categoryId),
    // Filters (issue 16): a brand as filters normalize it (facet_norm, migration 0014), and variant options
    // (overlap with `&&`), one kind or several on one variant.
    index('products_brand_key_idx').on(t.brandKey),
    index('products_facet_keys_idx').using('gin', t.facetKeys),
    index('products_facet_combos_idx').using('gin', t.facetCombos),
    check('products_price_nonnegative', sql`${t.priceAmount} >= 0`),
  ],
);

export const productVariants = pgTable(
  'product_variants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    sku: text('sku').notNull().unique(),
    title: text('title').notNull(),
    options: jsonb('options').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    priceAmount: integer('price_amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    index('product_variants_product_idx').on(t.productId, t.position),
    check('product_variants_price_nonnegative', sql`${t.priceAmount} >= 0`),
  ],
);

// The words of every product's title and brand (unstemmed, lower case), with the number of products that brought
// each: the lexicon that typo tolerance looks words up in (trigram distance, then edit distance: pg_trgm and
// fuzzystrmatch). Kept by statement triggers on `products` (migration 0011), so every write path feeds it; counts
// only grow (a renamed product's old words stay: a suggestion is only shown when it finds products) until
// `npm run search:reindex` (db/reindex.ts) recounts them from the products.
// Autocomplete reads it by prefix (`search_words_prefix_idx`, text_pattern_ops: a range scan whatever the collation).
export const searchWords = pgTable(
  'search_words',
  {
    word: text('word').primaryKey(),
    ndoc: integer('ndoc').notNull().default(1),
  },
  (t) => [index('search_words_prefix_idx').on(t.word.op('text_pattern_ops'))],
);

// The facet counts of each category's published products (issue 16, migration 0015): per kind (`brand`, `price`
// (its band's number), `size`, `colour`, and `#`, the products themselves) and value, how many products have it.
// Kept by statement triggers on `products`, which add each written row's new values and take away its old ones, so
// every write path (merchant API, bulk import, seed, the variants' facet triggers) keeps them in its transaction.
// Facets whose match set has no `q` and no filter but the category are sums over it (workers/catalog/src/facets.ts):
// exact and a few thousand rows at most, where counting the products reads up to FACET_SCAN_LIMIT product rows.
export const categoryFacetCounts = pgTable(
  'facet_counts',
  {
    kind: text('kind').notNull(),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id, { onDelete: 'cascade' }),
    value: text('value').notNull(),
    // One spelling of the value (the smallest seen); `#` and `price` have ''.
    label: text('label').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.categoryId, t.value] })],
);

// Each product's static search rank (issue 16): in stock first (bit 30), then units sold (the stock copies'
// `inventory_levels.sold`, summed over its SKUs, capped below 2^30). Kept by statement triggers on `products`
// (a row of 0 per new product) and `inventory_levels` (every write path of stock levels), migration 0012. A
// narrow table of its own, not a column of `products`: a stock or sale change rewrites this small row, not a
// product row with its full-text GIN entry. Relevance walks `product_ranks_rank_idx` in rank order and stops
// after a page: a common word no longer ranks all its matches.
export const productRanks = pgTable(
  'product_ranks',
  {
    productId: uuid('product_id')
      .primaryKey()
      .references(() => products.id, { onDelete: 'cascade' }),
    rank: integer('rank').notNull().default(0),
  },
  (t) => [index('product_ranks_rank_idx').on(t.rank.desc(), t.productId.desc())],
);
