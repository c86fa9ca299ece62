-- Takes a 微信客服 account's pull lock, or leaves the caller's sync token for the process holding it
-- (that process pulls once more before it lets go, so a callback is never lost to a busy lock).
-- KEYS[1] lock (string: the holder's fence token, expires)
-- KEYS[2] fence counter (string: the last fence token handed out)
-- KEYS[3] pending (string: a callback's sync token waiting for the holder; "-" = a pull without token)
-- ARGV[1] lock ttl (ms)   ARGV[2] the caller's sync token ("-" = none)   ARGV[3] pending ttl (ms)
-- Returns {fence, token}: fence > 0 when the caller holds the lock now (token: one left by someone
-- else earlier, "-" when none); {0, ""} when another process holds it (the caller's token is left).
if redis.call('EXISTS', KEYS[1]) == 1 then
  -- A token beats "no token" (pulls with one are not rate limited as strictly); a newer one beats an older one.
  if ARGV[2] ~= '-' or redis.call('EXISTS', KEYS[3]) == 0 then
    redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
  end
  return {0, ''}
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
local left = redis.call('GET', KEYS[3])
redis.call('DEL', KEYS[3])
local token = ARGV[2]
if token == '-' and left then token = left end
return {fence, token}
