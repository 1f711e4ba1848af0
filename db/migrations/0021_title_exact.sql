-- Relevance's exact tier (issue 16): the title's words as written. Writes to products wait for the index build; a
-- session holding products for longer than this makes the migration fail cleanly instead of queueing every writer
-- behind it (run it again). For a large catalog, build the index first by hand with CREATE INDEX CONCURRENTLY (the
-- same name and expression; the configuration first) and this statement is then a no-op (docs/deploy.md).
SET LOCAL lock_timeout = '5s';--> statement-breakpoint
-- `simple`'s lower-case words, not stemmed, with English stop words dropped as the `english` configuration drops them,
-- so that the words as written and the stems cover the same words of a title or query.
-- Each made only if missing: a large catalog's index may have been built by hand before (above).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'title_exact_words') THEN
    CREATE TEXT SEARCH DICTIONARY title_exact_words (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'title_exact') THEN
    CREATE TEXT SEARCH CONFIGURATION title_exact (COPY = pg_catalog.simple);
    ALTER TEXT SEARCH CONFIGURATION title_exact
      ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH title_exact_words;
  END IF;
END $$;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "products_title_words_idx" ON "products" USING gin (to_tsvector('title_exact'::regconfig, "title"));--> statement-breakpoint
-- The planner's statistics for the new expression (a sample of rows): without them it takes every exact title
-- match as rare (a default selectivity) and reads a common word's thousands through the bitmap instead of walking.
ANALYZE "products";
