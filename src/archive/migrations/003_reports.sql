-- 003: what the reports need once Redis has let it go (src/archive/reports-sync.ts copies it, reports.ts
-- reads it). Redis stays the truth for what it still holds: a day's counters are read from PostgreSQL
-- only when their Redis hash is gone (expired), so a copy that lags a minute never counts twice.

-- One business day's counters of one bot account, as the Redis hash `day:YYYY-MM-DD` held them
-- (conversations, out:<outcome>, handoff:<reason>, csat:*, fr:*, resolved*, faq:<id>). The key starts
-- with the day: reports read a range of days over every bot account.
CREATE TABLE day_counters (
  day    date   NOT NULL,
  bot_id text   NOT NULL,
  field  text   NOT NULL,
  value  bigint NOT NULL,
  PRIMARY KEY (day, bot_id, field)
);

-- The sync's bookkeeping per bot account: the last ratings (and gaps) stream entry copied (everything
-- up to it is in PostgreSQL, copied in stream order), and the days copied for good (after they ended,
-- so nothing more can count on them): those are not read from Redis again.
CREATE TABLE report_sync (
  bot_id          text PRIMARY KEY,
  ratings_last_id text,
  gaps_last_id    text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE report_days_final (
  bot_id    text NOT NULL,
  day       date NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bot_id, day)
);

-- Questions the FAQ did not answer (the Redis `gaps` stream, MAXLEN-trimmed), for the feedback
-- report's "could not answer" section over any range.
CREATE TABLE knowledge_gaps (
  bot_id          text NOT NULL,
  id              text NOT NULL,                  -- the gaps stream entry id
  conversation_id text NOT NULL,
  reason          text NOT NULL,                  -- unanswered | not_helpful
  text            text NOT NULL,
  faq_id          text,
  at              timestamptz NOT NULL,
  PRIMARY KEY (bot_id, id)
);
CREATE INDEX knowledge_gaps_at ON knowledge_gaps (at);
