-- login-attempt: may this account try a password now? If so, count the try as a failure until a
-- success clears the record (so a burst of parallel tries cannot all slip past the count).
-- KEYS[1] the username's failure record (hash: n = failures, next = earliest next try (ms),
--         lock = locked until (ms))
-- ARGV[1] now (ms)  ARGV[2] free failures (no wait before the next try)  ARGV[3] first wait (ms)
-- ARGV[4] longest wait (ms)  ARGV[5] failures that lock  ARGV[6] lock (ms)  ARGV[7] forget after (ms)
-- Returns {0, failures so far incl. this try} when allowed, {1, wait ms} when too early,
-- {2, wait ms} when locked
local now = tonumber(ARGV[1])
local rec = redis.call('HMGET', KEYS[1], 'n', 'next', 'lock')
local n = tonumber(rec[1] or '0')
local nextAt = tonumber(rec[2] or '0')
local lockedUntil = tonumber(rec[3] or '0')
if lockedUntil > now then return {2, lockedUntil - now} end
if nextAt > now then return {1, nextAt - now} end
n = n + 1
local wait = 0
local lock = 0
if n >= tonumber(ARGV[5]) then
  lock = now + tonumber(ARGV[6])
elseif n >= tonumber(ARGV[2]) then
  wait = math.min(tonumber(ARGV[3]) * 2 ^ (n - tonumber(ARGV[2])), tonumber(ARGV[4]))
end
-- Whole numbers as text: Redis would turn a large Lua number into "1.7e+12".
local int = function(x) return string.format('%.0f', x) end
redis.call('HSET', KEYS[1], 'n', int(n), 'next', int(now + wait), 'lock', int(lock))
redis.call('PEXPIRE', KEYS[1], int(math.max(tonumber(ARGV[7]), wait, lock - now)))
return {0, n}
