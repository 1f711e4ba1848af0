-- Issue 14: archival. Settled orders (with their lines, payment and events) and old stock events move to gzip NDJSON
-- objects in R2 (workers/admin/src/archive.ts); archive_batches records each batch and the exact rows it takes,
-- order_archive where each archived order went, inventory_archive per SKU the units archived orders sold (the
-- InventoryDO rebuild counts them) and the highest archived seq. archive_batch_commit deletes exactly those rows (or
-- nothing); triggers keep a late copy of an archived order or stock event from coming back into the hot tables.
CREATE TABLE "archive_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "archive_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"state" text NOT NULL,
	"cutoff" timestamp with time zone NOT NULL,
	"orders" jsonb NOT NULL,
	"stock_events" jsonb NOT NULL,
	"manifest" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_at" timestamp with time zone,
	CONSTRAINT "archive_batches_state" CHECK ("archive_batches"."state" in ('pending', 'archived'))
);
--> statement-breakpoint
CREATE TABLE "inventory_archive" (
	"sku" text PRIMARY KEY NOT NULL,
	"sold_units" bigint DEFAULT 0 NOT NULL,
	"max_seq" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_archive" (
	"order_id" text PRIMARY KEY NOT NULL,
	"batch_id" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "order_archive" ADD CONSTRAINT "order_archive_batch_id_archive_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."archive_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "archive_batches_one_pending" ON "archive_batches" USING btree ("state") WHERE "archive_batches"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "order_archive_batch_idx" ON "order_archive" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "inventory_events_at_idx" ON "inventory_events" USING btree ("at");
--> statement-breakpoint
-- Commits a pending batch whose object is written and verified: deletes exactly the rows it lists (each order at its
-- listed version, with its lines, payment and events; each stock event by (sku, seq)), files the orders under the
-- batch and marks it archived with its manifest, in one transaction. When the hot rows are not what was written
-- (a count differs: an order changed or went), it raises SQLSTATE AR409 and deletes nothing; the caller drops the
-- batch and takes the rows again. A batch already archived answers 'already' and changes nothing (a repeated run).
CREATE FUNCTION archive_batch_commit(batch bigint, expected jsonb, batch_manifest jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  b archive_batches%ROWTYPE;
  n_orders int; n_lines int; n_payments int; n_events int; n_stock int;
BEGIN
  SELECT * INTO b FROM archive_batches WHERE id = batch FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'archive batch % does not exist', batch USING ERRCODE = 'AR404'; END IF;
  IF b.state = 'archived' THEN RETURN 'already'; END IF;
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
-- A copy of an archived order (a late version from its OrdersDO, a replayed dead letter) or of an archived stock
-- event (a repeated copy from its InventoryDO) is not taken back into the hot tables: the row is skipped, the
-- archive keeps the copy it took. One primary-key lookup per row written to these tables.
CREATE FUNCTION archived_order_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM order_archive WHERE order_id = NEW.id) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE FUNCTION archived_order_child_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM order_archive WHERE order_id = NEW.order_id) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE FUNCTION archived_stock_event_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM inventory_archive WHERE sku = NEW.sku AND max_seq >= NEW.seq) THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER orders_archived BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION archived_order_skip();
--> statement-breakpoint
CREATE TRIGGER order_lines_archived BEFORE INSERT ON order_lines FOR EACH ROW EXECUTE FUNCTION archived_order_child_skip();
--> statement-breakpoint
CREATE TRIGGER payments_archived BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION archived_order_child_skip();
--> statement-breakpoint
CREATE TRIGGER order_events_archived BEFORE INSERT ON order_events FOR EACH ROW EXECUTE FUNCTION archived_order_child_skip();
--> statement-breakpoint
CREATE TRIGGER inventory_events_archived BEFORE INSERT ON inventory_events FOR EACH ROW
  EXECUTE FUNCTION archived_stock_event_skip();
