-- 004: what the archiver (src/archive/archiver.ts) keeps to copy conversations from Redis as they
-- change (write-behind) and to trim them from Redis once resolved and fully copied.

-- The last transcript entry copied of the conversation's Redis stream: the next copy reads after it,
-- and the trim checks the stream ends there (nothing came since the copy).
ALTER TABLE conversations ADD COLUMN last_msg_id text;
-- When the conversation left Redis (null while it is there). A customer who comes back starts a new
-- Redis conversation under the same id; its first copy sets this back to null.
ALTER TABLE conversations ADD COLUMN trimmed_at timestamptz;
-- The trim's candidates: resolved, still in Redis, unchanged for the retention window.
CREATE INDEX conversations_trim ON conversations (bot_id, updated_at) WHERE status = 'resolved' AND trimmed_at IS NULL;

-- A transcript in stream order: ids are "<ms>-<seq>", which text order gets wrong ("9-0" > "10-0").
CREATE INDEX messages_conv_order ON messages (conversation_id, (split_part(id, '-', 1)::bigint), (split_part(id, '-', 2)::bigint));

-- Where the copy stands in each bot account's events stream (which conversations changed), committed
-- in the same transaction as the rows it covers: after a crash the copy resumes there. `position`
-- counts the entries the stream ever had up to last_id (XINFO's entries-added): when the stream has
-- lost more than that to MAXLEN, changes went unread and a full pass copies them (null: unknown).
CREATE TABLE archive_cursors (
  bot_id     text NOT NULL,
  stream     text NOT NULL,
  last_id    text NOT NULL,
  position   bigint,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bot_id, stream)
);
