-- Typo tolerance (issue 16): a lexicon of title and brand words, looked up by trigram distance (pg_trgm, GiST KNN)
-- and edit distance (fuzzystrmatch). Both extensions are on Neon's supported list.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;--> statement-breakpoint
CREATE TABLE "search_words" (
	"word" text PRIMARY KEY NOT NULL,
	"ndoc" integer DEFAULT 1 NOT NULL
);--> statement-breakpoint
CREATE INDEX "search_words_trgm_idx" ON "search_words" USING gist ("word" gist_trgm_ops);--> statement-breakpoint
-- Fed by every insert and title/brand change of products, once per statement (a seed batch of 5,000 is one).
-- The upserts lock the words' rows until the writer commits, always in word order (ORDER BY w), so that two
-- statements sharing words queue on the first one instead of deadlocking. A long transaction (a bulk import) still
-- holds its words until it commits, and one that locks words over several statements can still meet another's.
CREATE FUNCTION search_words_from_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word, ndoc)
  SELECT w, count(*) FROM new_rows, unnest(tsvector_to_array(to_tsvector('simple', title || ' ' || brand))) AS w
  WHERE length(w) BETWEEN 2 AND 32
  GROUP BY w
  ORDER BY w
  ON CONFLICT (word) DO UPDATE SET ndoc = search_words.ndoc + excluded.ndoc;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER products_search_words_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_words_from_products();--> statement-breakpoint
-- Updates count only the rows whose title or brand changed (a price or stock change is not a new use of a word).
CREATE FUNCTION search_words_from_product_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word, ndoc)
  SELECT w, count(*)
  FROM new_rows n JOIN old_rows o ON o.id = n.id AND (o.title, o.brand) IS DISTINCT FROM (n.title, n.brand),
       unnest(tsvector_to_array(to_tsvector('simple', n.title || ' ' || n.brand))) AS w
  WHERE length(w) BETWEEN 2 AND 32
  GROUP BY w
  ORDER BY w
  ON CONFLICT (word) DO UPDATE SET ndoc = search_words.ndoc + excluded.ndoc;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER products_search_words_update AFTER UPDATE ON products
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION search_words_from_product_changes();--> statement-breakpoint
INSERT INTO search_words (word, ndoc)
SELECT w, count(*) FROM products, unnest(tsvector_to_array(to_tsvector('simple', title || ' ' || brand))) AS w
WHERE length(w) BETWEEN 2 AND 32
GROUP BY w
ON CONFLICT (word) DO NOTHING;
