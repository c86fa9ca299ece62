-- archive-extend: the archiver's per-bot-account lock, taken or kept: one process copies and trims a
-- bot account at a time (several may run); the lock expires so a crashed holder never blocks the rest.
-- KEYS[1] the lock (string: the holder's token, expires)
-- ARGV[1] the caller's token   ARGV[2] ttl (ms)
-- Returns 1 when the caller holds the lock now (taken, or its own extended), 0 when another does.
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
