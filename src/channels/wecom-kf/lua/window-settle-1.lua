-- Corrects a customer's window after WeChat answered a counted send.
-- KEYS[1] window (hash: lastIn, sent, m:<msgid>)
-- ARGV[1] "release" (WeChat did not take the message: uncount it) or "close" (WeChat says the
--         window is closed: nothing more until the customer writes)
-- ARGV[2] msgid   ARGV[3] replies allowed (for "close")
-- Returns 1 when something changed.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'release' then
  if redis.call('HDEL', KEYS[1], 'm:' .. ARGV[2]) == 0 then return 0 end
  if tonumber(redis.call('HGET', KEYS[1], 'sent') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'sent', -1) end
  return 1
end
redis.call('HSET', KEYS[1], 'sent', ARGV[3])
return 1
