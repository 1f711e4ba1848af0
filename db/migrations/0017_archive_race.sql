-- Issue 14: closes the window in which a copy of an order (or of a stock event) written while archive_batch_commit
-- ran came back into the hot tables. The skip triggers of 0016 looked at order_archive before the commit had
-- filed the order; the copy's insert then waited for the row the commit was deleting and, that row gone, inserted
-- it again: the order was both archived and hot. Now the triggers hold an advisory lock per order (per SKU for stock
-- events) shared until the copy's transaction ends, and the commit takes the same locks exclusively before it reads
-- or deletes anything, so each copy is ordered entirely before the commit (which then sees it and deletes nothing)
-- or entirely after it (and is skipped). test/e2e/archive.test.ts races the two.
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
  INSERT INTO order_archive (order_id, batch_id) SELECT x->>0, batch FROM jsonb_array_elements(b.orders) x
    ON CONFLICT (order_id) DO UPDATE SET batch_id = excluded.batch_id;
  UPDATE archive_batches SET state = 'archived', archived_at = now(), manifest = batch_manifest WHERE id = batch;
  RETURN 'archived';
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION archived_order_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1401, hashtext(NEW.id));
  IF EXISTS (SELECT 1 FROM order_archive WHERE order_id = NEW.id) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION archived_order_child_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1401, hashtext(NEW.order_id));
  IF EXISTS (SELECT 1 FROM order_archive WHERE order_id = NEW.order_id) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION archived_stock_event_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1402, hashtext(NEW.sku));
  IF EXISTS (SELECT 1 FROM inventory_archive WHERE sku = NEW.sku AND max_seq >= NEW.seq) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
