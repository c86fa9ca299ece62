-- resolved-index: the one-off backfill of a bot account's resolved zset with conversations resolved
-- before that index existed. Checked here, atomically, so a chat that left resolved meanwhile (the
-- scripts that move it keep the index) is never added; NX keeps the score a transition gave.
-- KEYS[1] resolved zset  KEYS[2..n] conversation hashes (of the same bot account)
-- ARGV[1..n-1] their conversation ids, in KEYS[2..n]'s order
-- Returns how many were added
local added = 0
for i = 2, #KEYS do
  local h = redis.call('HMGET', KEYS[i], 'status', 'resolvedAt', 'updatedAt', 'createdAt')
  if h[1] == 'resolved' then
    local at = tonumber(h[2] or h[3] or h[4] or '0') or 0
    added = added + redis.call('ZADD', KEYS[1], 'NX', at, ARGV[i - 1])
  end
end
return added
