-- A customer's message opens a new 48 h / 5 replies window (WeChat counts from their last message).
-- KEYS[1] window (hash: lastIn = the customer's last message (ms), sent = replies counted since,
--         m:<msgid> = when each counted send was first tried)
-- ARGV[1] the message's send time (ms)   ARGV[2] key ttl (ms)
-- Returns 1 when the window was renewed, 0 for a message older than the last one seen.
local last = tonumber(redis.call('HGET', KEYS[1], 'lastIn') or '0')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'lastIn', ARGV[1], 'sent', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
