-- 001: the archive of conversations that left Redis (resolved and older than the retention window).
-- One row per conversation (a customer's thread with one bot account, across every resolve), one
-- per transcript message keyed by its Redis stream id, one per rating. Every write is an upsert
-- keyed by those ids, so archiving the same conversation twice (a crash before the Redis trim)
-- changes nothing.

CREATE TABLE conversations (
  id                text PRIMARY KEY,            -- "<botId>.<customerId>", as in Redis and the API
  bot_id            text NOT NULL,
  customer_id       text NOT NULL,
  customer_name     text NOT NULL DEFAULT '',
  tier              text NOT NULL DEFAULT 'standard',
  channel           text,                         -- the bot account's channel kind (wechaty, wecom-kf, oa)
  status            text NOT NULL,                -- as archived: resolved
  assignee_id       text,
  assignee_name     text,
  reason            text,                         -- the last handoff's reason
  question          text,
  problem_id        text,
  resolved_by       text,
  tags              text[] NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  first_response_at timestamptz,
  data              jsonb NOT NULL DEFAULT '{}',  -- the Redis hash as it was, for fields added later
  search            tsvector,                     -- customer name and id as search terms (src/archive/tokens.ts)
  archived_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_updated ON conversations (updated_at DESC);
CREATE INDEX conversations_bot_customer ON conversations (bot_id, customer_id);

CREATE TABLE messages (
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  id              text NOT NULL,                  -- the Redis stream entry id ("<ms>-<seq>"): orders the transcript
  at              timestamptz NOT NULL,
  sender          text NOT NULL,                  -- customer | bot | agent | system | note
  text            text NOT NULL,
  msg_id          text,                           -- WeChat's id of a customer's message, or an agent reply's outbound id
  faq_id          text,
  confidence      real,
  agent_id        text,
  agent_name      text,
  event           text,                           -- system messages: waiting, claimed, transferred, resolved, parked, ...
  kind            text,                           -- non-text messages: image, voice, file, ...
  url             text,
  search          tsvector,                       -- the text's search terms (src/archive/tokens.ts), 'simple' config
  PRIMARY KEY (conversation_id, id)
);
CREATE INDEX messages_at ON messages (at DESC);

CREATE TABLE ratings (
  bot_id          text NOT NULL,
  id              text NOT NULL,                  -- the ratings stream entry id
  conversation_id text NOT NULL,
  score           smallint NOT NULL,
  agent_id        text,
  faq_id          text,
  tags            text[] NOT NULL DEFAULT '{}',
  at              timestamptz NOT NULL,
  data            jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (bot_id, id)
);
CREATE INDEX ratings_at ON ratings (at);
