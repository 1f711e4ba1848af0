CREATE TABLE "facet_counts" (
	"kind" text NOT NULL,
	"category_id" integer NOT NULL,
	"value" text NOT NULL,
	"label" text NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "facet_counts_kind_category_id_value_pk" PRIMARY KEY("kind","category_id","value")
);
--> statement-breakpoint
ALTER TABLE "facet_counts" ADD CONSTRAINT "facet_counts_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- What each product row counts for: itself (`#`), its brand, its price band (width_bucket over PRICE_BANDS of
-- lib/catalog/schemas.ts, as facets.ts counts them) and each of its option keys (`size:m` is kind size, value m).
CREATE FUNCTION product_facet_values(brand_key text, brand text, price_amount integer, facet_keys text[],
                                     facet_labels text[]) RETURNS TABLE (kind text, value text, label text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '#', '', ''
  UNION ALL SELECT 'brand', brand_key, brand
  UNION ALL SELECT 'price', width_bucket(price_amount, array[2500, 5000, 10000, 20000, 50000, 100000])::text, ''
  UNION ALL SELECT split_part(k.key, ':', 1), substr(k.key, strpos(k.key, ':') + 1), k.label
  FROM unnest(facet_keys, facet_labels) AS k(key, label);
$$;--> statement-breakpoint
-- A statement's rows into the counts: each published old row taken away, each published new row added, summed per
-- kind, category and value; what a statement leaves as it was (a title or description change, a facet refresh that
-- changed nothing) nets to zero and touches no counter. The counters are upserted in key order, so two writers
-- sharing some lock them in the same order and wait for each other instead of deadlocking; a writer holds its
-- counters until it commits (a bulk import of one category's products makes a merchant's write there wait for it).
CREATE FUNCTION facet_counts_apply(old_rows products[], new_rows products[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO facet_counts AS c (kind, category_id, value, label, n)
  SELECT v.kind, r.category_id, v.value, min(v.label COLLATE "C"), sum(r.sign)::int
  FROM (
    SELECT o, -1, o.category_id FROM unnest(old_rows) AS o WHERE o.status = 'published'
    UNION ALL
    SELECT n, 1, n.category_id FROM unnest(new_rows) AS n WHERE n.status = 'published'
  ) AS r(p, sign, category_id)
    CROSS JOIN LATERAL product_facet_values((r.p).brand_key, (r.p).brand, (r.p).price_amount, (r.p).facet_keys,
                                            (r.p).facet_labels) AS v
  GROUP BY v.kind, r.category_id, v.value
  HAVING sum(r.sign) <> 0
  ORDER BY v.kind, r.category_id, v.value
  ON CONFLICT (kind, category_id, value) DO UPDATE
    SET n = c.n + excluded.n, label = least(c.label, excluded.label COLLATE "C");
$$;--> statement-breakpoint
CREATE FUNCTION facet_counts_from_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM facet_counts_apply('{}', array(SELECT n::products FROM new_rows n));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM facet_counts_apply(array(SELECT o::products FROM old_rows o), array(SELECT n::products FROM new_rows n));
  ELSE
    PERFORM facet_counts_apply(array(SELECT o::products FROM old_rows o), '{}');
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER products_facet_counts_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION facet_counts_from_products();--> statement-breakpoint
CREATE TRIGGER products_facet_counts_update AFTER UPDATE ON products
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION facet_counts_from_products();--> statement-breakpoint
CREATE TRIGGER products_facet_counts_delete AFTER DELETE ON products REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION facet_counts_from_products();--> statement-breakpoint
-- The counts of the products already there, in one pass (not through an array of every row).
INSERT INTO facet_counts (kind, category_id, value, label, n)
SELECT v.kind, p.category_id, v.value, min(v.label COLLATE "C"), count(*)::int
FROM products p
  CROSS JOIN LATERAL product_facet_values(p.brand_key, p.brand, p.price_amount, p.facet_keys, p.facet_labels) AS v
WHERE p.status = 'published'
GROUP BY v.kind, p.category_id, v.value;
