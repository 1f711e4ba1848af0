-- Issue 16: facets and filters. Each product keeps the variant options that facets count and filters match
-- (`kind:value` in lower case, and each value as the variants spell it), so counting and filtering never read
-- product_variants; a brand filter in any case has its index.
ALTER TABLE "products" ADD COLUMN "facet_keys" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "facet_labels" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "products_brand_idx" ON "products" USING btree (lower("brand"));--> statement-breakpoint
CREATE INDEX "products_facet_keys_idx" ON "products" USING gin ("facet_keys");--> statement-breakpoint
-- The facet columns of the products `ids`, from their variants' options: the option kinds counted are size and
-- colour (a `Color` option is colour; names in any case); keys sorted byte-wise, each with the smallest spelling of
-- its value. A product is only rewritten when its options changed (a price change of a variant rewrites nothing).
CREATE FUNCTION product_facets_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  UPDATE products p SET facet_keys = f.keys, facet_labels = f.labels
  FROM (
    SELECT i.id,
           coalesce(array_agg(o.key ORDER BY o.key) FILTER (WHERE o.key IS NOT NULL), '{}') AS keys,
           coalesce(array_agg(o.label ORDER BY o.key) FILTER (WHERE o.key IS NOT NULL), '{}') AS labels
    FROM unnest(ids) AS i(id)
    LEFT JOIN LATERAL (
      SELECT (k.kind || ':' || lower(e.value)) COLLATE "C" AS key, min(e.value COLLATE "C") AS label
      FROM product_variants v
        CROSS JOIN LATERAL jsonb_each_text(v.options) AS e(name, value)
        CROSS JOIN LATERAL (SELECT CASE lower(e.name) WHEN 'size' THEN 'size' WHEN 'colour' THEN 'colour'
                                                      WHEN 'color' THEN 'colour' END AS kind) AS k
      WHERE v.product_id = i.id AND k.kind IS NOT NULL AND btrim(e.value) <> ''
      GROUP BY 1
    ) AS o ON true
    GROUP BY i.id
  ) AS f
  WHERE p.id = f.id AND (p.facet_keys, p.facet_labels) IS DISTINCT FROM (f.keys, f.labels);
$$;--> statement-breakpoint
-- Every write of variants (merchant API, bulk import, seed) refreshes its products, once per statement.
CREATE FUNCTION product_facets_from_variants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM product_facets_refresh(array(SELECT DISTINCT product_id FROM new_rows));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM product_facets_refresh(array(
      SELECT n.product_id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE (n.options, n.product_id) IS DISTINCT FROM (o.options, o.product_id)
      UNION
      SELECT o.product_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.product_id <> o.product_id));
  ELSE
    PERFORM product_facets_refresh(array(SELECT DISTINCT product_id FROM old_rows));
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER product_variants_facets_insert AFTER INSERT ON product_variants REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_facets_from_variants();--> statement-breakpoint
CREATE TRIGGER product_variants_facets_update AFTER UPDATE ON product_variants
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_facets_from_variants();--> statement-breakpoint
CREATE TRIGGER product_variants_facets_delete AFTER DELETE ON product_variants REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_facets_from_variants();--> statement-breakpoint
SELECT product_facets_refresh(array(SELECT id FROM products));
