CREATE TABLE "inventory_events" (
	"sku" text NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"delta" integer NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text NOT NULL,
	"reason" text,
	"on_hand" integer NOT NULL,
	"held" integer NOT NULL,
	"sold" integer NOT NULL,
	"available" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"copied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_events_sku_seq_pk" PRIMARY KEY("sku","seq"),
	CONSTRAINT "inventory_events_levels" CHECK ("inventory_events"."held" >= 0 and "inventory_events"."sold" >= 0 and "inventory_events"."available" >= 0 and "inventory_events"."on_hand" = "inventory_events"."available" + "inventory_events"."held" + "inventory_events"."sold")
);
--> statement-breakpoint
CREATE INDEX "inventory_events_kind_idx" ON "inventory_events" USING btree ("sku","kind","seq");