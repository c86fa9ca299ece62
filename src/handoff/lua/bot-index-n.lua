-- bot-index: the one-off backfill of a bot account's bot chats zset with conversations in status bot
-- from before that index existed. Checked here, atomically, so a chat handed off meanwhile (the
-- scripts that move it keep the index) is never added; NX keeps the score a script gave since.
-- KEYS[1] bot chats zset  KEYS[2..n] conversation hashes (of the same bot account)
-- ARGV[1..n-1] their conversation ids, in KEYS[2..n]'s order
-- Returns how many were added
local added = 0
for i = 2, #KEYS do
  local h = redis.call('HMGET', KEYS[i], 'status', 'updatedAt', 'createdAt')
  if h[1] == 'bot' then
    local at = tonumber(h[2] or h[3] or '0') or 0
    added = added + redis.call('ZADD', KEYS[1], 'NX', at, ARGV[i - 1])
  end
end
return added
