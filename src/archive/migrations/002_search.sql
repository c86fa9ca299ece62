-- 002: search over the archive (src/archive/search.ts).
--
-- Message text is searched by words: `messages.search` holds the engine segmenter's terms
-- (src/archive/tokens.ts) as a 'simple' tsvector, looked up through GIN.
--
-- Customer names and ids are searched by any part of two characters or more ("子兰" of 何子兰, the
-- start of a wxid): a GIN over the character pairs (bigrams) of the normalized name and id, then
-- LIKE on that text to keep only real substrings. Measured on 50,000 conversations (bench:search):
-- pg_trgm works on CJK under this UTF-8 locale but needs three characters to use its index, and
-- Chinese names and their parts are mostly two; a two-character name search fell back to a scan
-- of every name (~150-230 ms), bigrams answer it from the index.

-- Lower case, NFKC (full-width letters and digits folded), name and id in one string.
CREATE FUNCTION kefu_name_key(name text, id text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT lower(normalize(coalesce(name, '') || ' ' || coalesce(id, ''), NFKC)) $$;

-- The distinct character pairs of a string ("何子兰" -> {何子, 子兰}).
CREATE FUNCTION kefu_bigrams(s text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(DISTINCT substr(s, i, 2)), '{}') FROM generate_series(1, length(s) - 1) AS i $$;

ALTER TABLE conversations ADD COLUMN search_name text
  GENERATED ALWAYS AS (kefu_name_key(customer_name, customer_id)) STORED;
ALTER TABLE conversations ADD COLUMN search_grams text[]
  GENERATED ALWAYS AS (kefu_bigrams(kefu_name_key(customer_name, customer_id))) STORED;
CREATE INDEX conversations_grams ON conversations USING gin (search_grams);

-- System lines ("resolved", "claimed") are events, not words anyone searches for: left out.
CREATE INDEX messages_search ON messages USING gin (search) WHERE sender <> 'system';

-- The filters. A conversation filter narrows messages through conversation_id (the messages' key
-- starts with it); the conversations table is ~20x smaller than messages.
CREATE INDEX conversations_tags ON conversations USING gin (tags);
CREATE INDEX conversations_status ON conversations (status, updated_at DESC);
CREATE INDEX conversations_channel ON conversations (channel, updated_at DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, updated_at DESC);
CREATE INDEX ratings_conversation ON ratings (conversation_id, score);
