-- Issue 14: archived orders in the merchant's order list (GET /v1/admin/orders?include=archived). order_archive
-- keeps, beside each archived order's batch, its creation time and a summary (status, email, owner, totals, lines and
-- their SKUs), written by archive_batch_commit from the rows it deletes; orders archived before this migration have
-- none and are not listed (their detail is still read from their batch).
ALTER TABLE "order_archive" ADD COLUMN "created_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "order_archive" ADD COLUMN "summary" jsonb;--> statement-breakpoint
CREATE INDEX "order_archive_newest_idx" ON "order_archive" USING btree ("created_at" DESC NULLS LAST,"order_id" DESC NULLS LAST);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION archive_batch_commit(batch bigint, expected jsonb, batch_manifest jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  b archive_batches%ROWTYPE;
  n_orders int; n_lines int; n_payments int; n_events int; n_stock int;
BEGIN
  SELECT * INTO b FROM archive_batches WHERE id = batch FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'archive batch % does not exist', batch USING ERRCODE = 'AR404'; END IF;
  IF b.state = 'archived' THEN RETURN 'already'; END IF;
  -- Before anything is read or deleted: every listed order's and SKU's archive lock, exclusive (in key order, so two
  -- commits never deadlock). A copy being written holds its order's or SKU's lock shared (the triggers below) until
  -- it commits: the commit waits for it and then sees its rows (an order at a new version: nothing is deleted, AR409);
  -- a copy that comes later waits for the commit and then finds its order or event archived.
  PERFORM pg_advisory_xact_lock(1401, k)
    FROM (SELECT DISTINCT hashtext(x->>0) AS k FROM jsonb_array_elements(b.orders) x ORDER BY 1) o;
  PERFORM pg_advisory_xact_lock(1402, k)
    FROM (SELECT DISTINCT hashtext(x->>0) AS k FROM jsonb_array_elements(b.stock_events) x ORDER BY 1) s;
  -- Each order filed under the batch with what the merchant's order list shows of it (its rows are deleted below).
  INSERT INTO order_archive AS a (order_id, batch_id, created_at, summary)
  SELECT o.id, batch, o.created_at, jsonb_build_object('status', o.status, 'email', o.email, 'owner_sub', o.owner_sub,
      'owner_role', o.owner_role, 'currency', o.currency, 'total', o.total,
      'refunded', coalesce(p.refunded_amount, 0), 'updated_at', o.updated_at,
      'lines', (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id),
      'skus', (SELECT coalesce(jsonb_agg(l.sku ORDER BY l.sku), '[]') FROM order_lines l WHERE l.order_id = o.id))
    FROM orders o JOIN jsonb_array_elements(b.orders) x ON o.id = x->>0 AND o.version = (x->>1)::int
    LEFT JOIN payments p ON p.order_id = o.id
  ON CONFLICT (order_id) DO UPDATE SET batch_id = excluded.batch_id, created_at = excluded.created_at,
    summary = excluded.summary;
  -- Units sold leave with their order lines: per SKU, each archived order's lines (if it was ever paid, as the
  -- rebuild counts them) less its restocks still in the ledger, and each archived restock whose order stays hot
  -- (a restock archived after its order was counted with it); and the highest seq of the SKU's archived events.
  INSERT INTO inventory_archive AS s (sku, sold_units, max_seq)
  SELECT u.sku, sum(u.units), max(u.seq) FROM (
    SELECT l.sku, l.quantity - coalesce((SELECT sum(-e.delta) FROM inventory_events e
        WHERE e.sku = l.sku AND e.kind = 'restock' AND e.actor_id = l.order_id AND e.reason LIKE 'refund %'), 0) AS units,
        0::bigint AS seq
      FROM order_lines l JOIN jsonb_array_elements(b.orders) x ON l.order_id = x->>0
      WHERE EXISTS (SELECT 1 FROM order_events oe WHERE oe.order_id = l.order_id AND oe.to_status = 'paid')
    UNION ALL
    SELECT e.sku,
        CASE WHEN e.kind = 'restock' AND e.reason LIKE 'refund %'
              AND NOT EXISTS (SELECT 1 FROM order_archive a WHERE a.order_id = e.actor_id)
              AND e.actor_id NOT IN (SELECT y->>0 FROM jsonb_array_elements(b.orders) y)
             THEN e.delta ELSE 0 END,
        e.seq
      FROM inventory_events e JOIN jsonb_array_elements(b.stock_events) x ON e.sku = x->>0 AND e.seq = (x->>1)::bigint
  ) u GROUP BY u.sku
  ON CONFLICT (sku) DO UPDATE SET sold_units = s.sold_units + excluded.sold_units,
    max_seq = greatest(s.max_seq, excluded.max_seq);
  DELETE FROM order_lines WHERE order_id IN (SELECT x->>0 FROM jsonb_array_elements(b.orders) x);
  GET DIAGNOSTICS n_lines = ROW_COUNT;
  DELETE FROM payments WHERE order_id IN (SELECT x->>0 FROM jsonb_array_elements(b.orders) x);
  GET DIAGNOSTICS n_payments = ROW_COUNT;
  DELETE FROM order_events WHERE order_id IN (SELECT x->>0 FROM jsonb_array_elements(b.orders) x);
  GET DIAGNOSTICS n_events = ROW_COUNT;
  DELETE FROM orders o USING jsonb_array_elements(b.orders) x WHERE o.id = x->>0 AND o.version = (x->>1)::int;
  GET DIAGNOSTICS n_orders = ROW_COUNT;
  DELETE FROM inventory_events e USING jsonb_array_elements(b.stock_events) x
    WHERE e.sku = x->>0 AND e.seq = (x->>1)::bigint;
  GET DIAGNOSTICS n_stock = ROW_COUNT;
  IF n_orders <> (expected->>'orders')::int OR n_lines <> (expected->>'orderLines')::int
     OR n_payments <> (expected->>'payments')::int OR n_events <> (expected->>'orderEvents')::int
     OR n_stock <> (expected->>'stockEvents')::int THEN
    RAISE EXCEPTION 'archive batch %: the hot rows are not the ones written (deleted % orders, % lines, % payments, % order events, % stock events; expected %)',
      batch, n_orders, n_lines, n_payments, n_events, n_stock, expected USING ERRCODE = 'AR409';
  END IF;
  UPDATE archive_batches SET state = 'archived', archived_at = now(), manifest = batch_manifest WHERE id = batch;
  RETURN 'archived';
END $$;
