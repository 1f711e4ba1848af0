-- Issue 16: every stored facet value can be selected, and options selected together match one variant.
-- facet_norm() is a filter value's normalization (lib/catalog/filter-values.ts: trimmed, each run of whitespace one
-- space, lower case with Unicode's full case mapping, as JavaScript's toLowerCase): the brand filter and the option
-- keys use it, so a brand spelt with two spaces, or in any case, is the value its facet lists. The whitespace class
-- is JavaScript's `\s`, spelt out (FILTER_SPACE there); pg_unicode_fast (Postgres 18) lower-cases as JavaScript does
-- whatever the database's own locale (C here, where lower() leaves `É` as it is).
CREATE FUNCTION facet_norm(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(regexp_replace(
    regexp_replace(value, '^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+|[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$', '', 'g'),
    '[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g') COLLATE pg_unicode_fast);
$$;--> statement-breakpoint
DROP INDEX "products_brand_idx";--> statement-breakpoint
-- The brand as filters compare it and facets count it (no normalization per row at read time).
ALTER TABLE "products" ADD COLUMN "brand_key" text GENERATED ALWAYS AS (facet_norm(brand)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "facet_combos" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- The facet columns of the products `ids` (0013's function, with values through facet_norm and the combinations):
-- facet_keys and facet_labels as before; facet_combos holds, for each variant, every combination of two or more of
-- its keys, in key order, joined by a newline (which facet_norm never leaves in a value): `colour:navy\nsize:m`. A
-- filter on size and colour then asks for one of the combinations of its values, so the same variant has both.
-- A variant with more than 8 keys (option names spelt several ways) has no combinations beyond its first 8.
CREATE OR REPLACE FUNCTION product_facets_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE products p SET facet_keys = f.keys, facet_labels = f.labels, facet_combos = f.combos
  FROM (
    WITH variant_keys AS (
      SELECT v.product_id, v.id AS variant_id, (k.kind || ':' || facet_norm(e.value)) COLLATE "C" AS key,
             e.value COLLATE "C" AS label
      FROM unnest(ids) AS i(id)
        JOIN product_variants v ON v.product_id = i.id
        CROSS JOIN LATERAL jsonb_each_text(v.options) AS e(name, value)
        CROSS JOIN LATERAL (SELECT CASE lower(e.name) WHEN 'size' THEN 'size' WHEN 'colour' THEN 'colour'
                                                      WHEN 'color' THEN 'colour' END AS kind) AS k
      WHERE k.kind IS NOT NULL AND facet_norm(e.value) <> ''
    ),
    keys AS (
      SELECT product_id, array_agg(key ORDER BY key) AS keys, array_agg(label ORDER BY key) AS labels
      FROM (SELECT product_id, key, min(label) AS label FROM variant_keys GROUP BY 1, 2) AS d
      GROUP BY product_id
    ),
    per_variant AS (
      SELECT product_id, (array_agg(DISTINCT key ORDER BY key))[1:8] AS ks FROM variant_keys GROUP BY product_id, variant_id
    ),
    combos AS (
      SELECT product_id, array_agg(DISTINCT c.combo ORDER BY c.combo) AS combos
      FROM per_variant pv
        CROSS JOIN LATERAL generate_series(3, (1 << cardinality(pv.ks)) - 1) AS m(mask)
        CROSS JOIN LATERAL (
          SELECT string_agg(pv.ks[b], E'\n' ORDER BY b) COLLATE "C" AS combo, count(*) AS n
          FROM generate_series(1, cardinality(pv.ks)) AS b WHERE (m.mask >> (b - 1)) & 1 = 1
        ) AS c
      WHERE c.n >= 2
      GROUP BY product_id
    )
    SELECT i.id, coalesce(k.keys, '{}') AS keys, coalesce(k.labels, '{}') AS labels,
           coalesce(c.combos, '{}') AS combos
    FROM unnest(ids) AS i(id)
      LEFT JOIN keys k ON k.product_id = i.id
      LEFT JOIN combos c ON c.product_id = i.id
  ) AS f
  WHERE p.id = f.id
    AND (p.facet_keys, p.facet_labels, p.facet_combos) IS DISTINCT FROM (f.keys, f.labels, f.combos);
$$;--> statement-breakpoint
SELECT product_facets_refresh(array(SELECT id FROM products));--> statement-breakpoint
CREATE INDEX "products_brand_key_idx" ON "products" USING btree ("brand_key");--> statement-breakpoint
CREATE INDEX "products_facet_combos_idx" ON "products" USING gin ("facet_combos");
