-- Issue 16: relevance by a static rank walked in order (product_ranks), and autocomplete by prefix (search_words).
CREATE TABLE "product_ranks" (
	"product_id" uuid PRIMARY KEY NOT NULL,
	"rank" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "product_ranks" ADD CONSTRAINT "product_ranks_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "product_ranks_rank_idx" ON "product_ranks" USING btree ("rank" DESC NULLS LAST,"product_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "products_search_title_idx" ON "products" USING gin (ts_filter("search", '{a}'));--> statement-breakpoint
CREATE INDEX "products_search_title_brand_idx" ON "products" USING gin (ts_filter("search", '{a,b}'));--> statement-breakpoint
CREATE INDEX "search_words_prefix_idx" ON "search_words" USING btree ("word" text_pattern_ops);--> statement-breakpoint
-- Issue 16: each product's static search rank, in stock first (bit 30), then units sold (capped below 2^30).
-- A SKU is in stock if its copied level has some available, or, before the InventoryDO's first copy (version 0),
-- if its starting stock is above zero (the object takes that stock on first use).
CREATE FUNCTION product_rank_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO product_ranks AS r (product_id, rank)
  SELECT v.product_id,
         (coalesce(bool_or(CASE WHEN l.version = 0 THEN l.initial_on_hand > 0 ELSE l.available > 0 END), false))::int
           * 1073741824 + least(coalesce(sum(l.sold), 0), 1073741823)::int
  FROM product_variants v JOIN inventory_levels l ON l.sku = v.sku
  WHERE v.product_id = ANY (ids)
  GROUP BY v.product_id
  ON CONFLICT (product_id) DO UPDATE SET rank = excluded.rank WHERE r.rank IS DISTINCT FROM excluded.rank;
$$;--> statement-breakpoint
-- Every write of stock levels (seed, bulk import, merchant stock, the orders consumer's copies of each InventoryDO)
-- re-ranks the products of the SKUs it wrote, once per statement.
CREATE FUNCTION product_ranks_from_levels() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM product_rank_refresh(array(
    SELECT DISTINCT v.product_id FROM new_rows n JOIN product_variants v ON v.sku = n.sku));
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER inventory_levels_rank_insert AFTER INSERT ON inventory_levels REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_ranks_from_levels();--> statement-breakpoint
CREATE TRIGGER inventory_levels_rank_update AFTER UPDATE ON inventory_levels REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_ranks_from_levels();--> statement-breakpoint
-- A new product starts at rank 0 (no stock yet), so that every product has its row to be walked.
CREATE FUNCTION product_ranks_from_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_ranks (product_id) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER products_rank_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_ranks_from_products();--> statement-breakpoint
INSERT INTO product_ranks (product_id) SELECT id FROM products ON CONFLICT DO NOTHING;--> statement-breakpoint
SELECT product_rank_refresh(array(SELECT id FROM products));
--> statement-breakpoint
-- The rank walk stops after a page: a parallel scan of it would only add its workers' start-up (about 12 ms).
ALTER TABLE product_ranks SET (parallel_workers = 0);
