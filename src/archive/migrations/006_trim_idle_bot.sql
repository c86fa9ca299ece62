-- 006: chats the bot handled alone never reach 'resolved' (the bot answers, the customer leaves):
-- left as they were they would stay in Redis forever. They are trimmed like resolved ones once idle
-- for the retention window (the trim script still refuses any that changed since the copy).
DROP INDEX IF EXISTS conversations_trim;
CREATE INDEX conversations_trim ON conversations (bot_id, updated_at)
  WHERE status IN ('resolved', 'bot') AND trimmed_at IS NULL;
