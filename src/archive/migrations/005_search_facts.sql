-- 005: search filters inside the word index, and prefixes looked up as whole words (src/archive/search.ts).
--
-- Why. A text search with a conversation filter (status, channel, tag, agent, rating, an agent's own
-- view) used to intersect the word index's matches with the filtered conversations' messages: two
-- large sets, 270-530 ms p99 on 1,000,000 messages (bench:search). Now each searchable message
-- carries its conversation's filter values as `facts`, and one GIN over (search, facts) answers
-- "these words AND these facts" by walking the rarest posting list.
--
-- And a prefix term ('退款:*', every query term but a lone Chinese character) makes GIN collect
-- every row of every word it starts into a bitmap before anything else (~1 µs a row: ~130 ms for
-- 退款 in 85,000 messages, whatever the filter). `search_lexicon` lists the words the index holds,
-- so a prefix is expanded to the words it starts ('iphone' -> 'iphone13' | 'iphone15'), which GIN
-- intersects cheaply; a prefix of very many words keeps ':*'. Same matches either way.

-- The facts of a conversation, as the search filters ask for them (search.ts `filterFacts` builds
-- the same strings): s:<status>, c:<channel>, a:<assignee id>, t:<tag> each, r:<score> of each
-- rating. A filter is "the message's facts contain ..." (@>); an agent's own view is "any of
-- a:<me>, s:bot, s:waiting" (&&).
CREATE FUNCTION kefu_facts_of(status text, channel text, assignee_id text, tags text[], scores smallint[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT ARRAY['s:' || status]
    || CASE WHEN channel IS NULL THEN '{}'::text[] ELSE ARRAY['c:' || channel] END
    || CASE WHEN assignee_id IS NULL THEN '{}'::text[] ELSE ARRAY['a:' || assignee_id] END
    || ARRAY(SELECT DISTINCT 't:' || t FROM unnest(tags) AS t WHERE t IS NOT NULL ORDER BY 1)
    || ARRAY(SELECT DISTINCT 'r:' || s FROM unnest(scores) AS s WHERE s IS NOT NULL ORDER BY 1)
  $$;

-- The facts of these conversations as the database holds them now (one row per conversation that
-- exists). Writers join it to the messages they write: once per conversation, not per message.
CREATE FUNCTION kefu_conversation_facts(ids text[]) RETURNS TABLE (id text, facts text[])
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
  SELECT c.id, kefu_facts_of(c.status, c.channel, c.assignee_id, c.tags,
    ARRAY(SELECT r.score FROM ratings r WHERE r.conversation_id = c.id ORDER BY r.score))
  FROM conversations c WHERE c.id = ANY(ids)
  $$;

-- Only messages the search reads (not system lines) carry facts: fewer rows to rewrite on a change.
ALTER TABLE messages ADD COLUMN facts text[];

WITH f AS MATERIALIZED (
  SELECT c.id, kefu_facts_of(c.status, c.channel, c.assignee_id, c.tags,
    ARRAY(SELECT r.score FROM ratings r WHERE r.conversation_id = c.id ORDER BY r.score)) AS facts
  FROM conversations c
)
UPDATE messages m SET facts = f.facts FROM f WHERE m.conversation_id = f.id AND m.sender <> 'system';

-- One index for words and facts; it answers word-only searches as the one it replaces did.
DROP INDEX messages_search;
CREATE INDEX messages_search_facts ON messages USING gin (search, facts) WHERE sender <> 'system';

-- Every word the search index holds (words of messages since deleted may stay: a prefix expanded
-- to a word nothing has matches nothing). "C" collation: a prefix's words are one range of it.
CREATE TABLE search_lexicon (term text COLLATE "C" PRIMARY KEY);
INSERT INTO search_lexicon (term)
  SELECT DISTINCT t FROM messages m, unnest(tsvector_to_array(m.search)) AS t WHERE m.sender <> 'system';

-- Who writes facts: every writer of a conversation's messages, status/channel/assignee/tags or
-- ratings. Each takes this lock per conversation (in one order, by hash: two writers never wait on each
-- other in a cycle) before it reads the facts it writes, so two transactions changing one
-- conversation at once (the archiver copying it, the reports' sync adding its rating) take
-- turns, and the second reads what the first committed: no message is left with stale facts.
CREATE FUNCTION kefu_lock_facts(ids text[]) RETURNS void
  LANGUAGE plpgsql VOLATILE
  AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1801, k) FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest(ids) AS id ORDER BY 1) s;
END
$$;

-- Rewrites the facts of these conversations' messages where they changed.
CREATE FUNCTION kefu_refresh_facts(ids text[]) RETURNS void
  LANGUAGE plpgsql VOLATILE
  AS $$
BEGIN
  IF cardinality(ids) IS NULL OR cardinality(ids) = 0 THEN RETURN; END IF;
  PERFORM kefu_lock_facts(ids);
  -- A statement after the lock: its snapshot holds what the writer before us committed.
  WITH f AS MATERIALIZED (SELECT * FROM kefu_conversation_facts(ids))
  UPDATE messages m SET facts = f.facts FROM f
  WHERE m.conversation_id = f.id AND m.sender <> 'system' AND m.facts IS DISTINCT FROM f.facts;
END
$$;

CREATE FUNCTION kefu_conversations_facts_trigger() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM kefu_refresh_facts(ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.status, n.channel, n.assignee_id, n.tags) IS DISTINCT FROM (o.status, o.channel, o.assignee_id, o.tags)));
  RETURN NULL;
END
$$;
CREATE TRIGGER conversations_facts AFTER UPDATE ON conversations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION kefu_conversations_facts_trigger();

CREATE FUNCTION kefu_ratings_facts_trigger() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM kefu_refresh_facts(ARRAY(SELECT DISTINCT conversation_id FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM kefu_refresh_facts(ARRAY(SELECT DISTINCT conversation_id FROM old_rows));
  ELSE
    PERFORM kefu_refresh_facts(ARRAY(
      SELECT n.conversation_id FROM new_rows n UNION
      SELECT o.conversation_id FROM old_rows o));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER ratings_facts_insert AFTER INSERT ON ratings
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kefu_ratings_facts_trigger();
CREATE TRIGGER ratings_facts_update AFTER UPDATE ON ratings
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kefu_ratings_facts_trigger();
CREATE TRIGGER ratings_facts_delete AFTER DELETE ON ratings
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kefu_ratings_facts_trigger();

-- A message written without facts (the archiver writes them itself, per conversation): its
-- conversation's, read under the lock.
CREATE FUNCTION kefu_message_facts_trigger() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM kefu_lock_facts(ARRAY[NEW.conversation_id]);
  SELECT f.facts INTO NEW.facts FROM kefu_conversation_facts(ARRAY[NEW.conversation_id]) f;
  RETURN NEW;
END
$$;
CREATE TRIGGER messages_facts BEFORE INSERT ON messages
  FOR EACH ROW WHEN (NEW.facts IS NULL AND NEW.sender <> 'system') EXECUTE FUNCTION kefu_message_facts_trigger();

-- New words into the lexicon, in order (two writers adding the same words never deadlock).
CREATE FUNCTION kefu_lexicon_trigger() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO search_lexicon (term)
    SELECT DISTINCT t FROM new_rows n, unnest(tsvector_to_array(n.search)) AS t
    WHERE n.sender <> 'system' AND NOT EXISTS (SELECT 1 FROM search_lexicon l WHERE l.term = t)
    ORDER BY 1
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_lexicon AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kefu_lexicon_trigger();

-- Messages are written once; should one's words ever be rewritten, they still reach the lexicon
-- (row by row: nothing does this in bulk; a facts rewrite does not fire it).
CREATE FUNCTION kefu_lexicon_row_trigger() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO search_lexicon (term)
    SELECT DISTINCT t FROM unnest(tsvector_to_array(NEW.search)) AS t ORDER BY 1
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_lexicon_update AFTER UPDATE OF search, sender ON messages
  FOR EACH ROW WHEN (NEW.sender <> 'system' AND NEW.search IS NOT NULL) EXECUTE FUNCTION kefu_lexicon_row_trigger();
