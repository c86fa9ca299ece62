-- Lets go of a 微信客服 account's pull lock, unless a sync token was left meanwhile: then the caller
-- keeps the lock (renewed) and pulls again with that token.
-- KEYS[1] lock (string: the holder's fence token)   KEYS[2] pending (string: a left sync token)
-- ARGV[1] fence token   ARGV[2] lock ttl (ms)
-- Returns {1, token} to pull again, {0} when released, {-1} when the caller no longer held the lock.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local token = redis.call('GET', KEYS[2])
if token then
  redis.call('DEL', KEYS[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, token}
end
redis.call('DEL', KEYS[1])
return {0}
