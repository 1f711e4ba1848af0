-- product_rank_refresh (0012) upserts each product's rank row in id order, as the lexicon's and the facet counts'
-- triggers (0011, 0015) write theirs in key order: two statements that re-rank overlapping products (a bulk stock
-- import's trigger and a search reindex batch, db/reindex.ts, which locks its batch's rank rows in id order) then
-- take the rows' locks in the same order and wait for each other instead of deadlocking.
CREATE OR REPLACE FUNCTION product_rank_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO product_ranks AS r (product_id, rank)
  SELECT v.product_id,
         (coalesce(bool_or(CASE WHEN l.version = 0 THEN l.initial_on_hand > 0 ELSE l.available > 0 END), false))::int
           * 1073741824 + least(coalesce(sum(l.sold), 0), 1073741823)::int
  FROM product_variants v JOIN inventory_levels l ON l.sku = v.sku
  WHERE v.product_id = ANY (ids)
  GROUP BY v.product_id
  ORDER BY v.product_id
  ON CONFLICT (product_id) DO UPDATE SET rank = excluded.rank WHERE r.rank IS DISTINCT FROM excluded.rank;
$$;
