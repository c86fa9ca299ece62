-- Counts one send against a customer's 48 h / 5 replies window, before calling WeChat. A retry of
-- a send already counted (same msgid) is not counted again.
-- KEYS[1] window (hash: lastIn, sent, m:<msgid>)
-- ARGV[1] now (ms)   ARGV[2] window length (ms)   ARGV[3] replies allowed   ARGV[4] msgid
-- Returns "ok" (counted), "again" (counted before), "expired" (no customer message in the window)
-- or "used" (every allowed reply sent).
local field = 'm:' .. ARGV[4]
if redis.call('HEXISTS', KEYS[1], field) == 1 then return 'again' end
local last = tonumber(redis.call('HGET', KEYS[1], 'lastIn') or '0')
if last == 0 or tonumber(ARGV[1]) - last > tonumber(ARGV[2]) then return 'expired' end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if sent >= tonumber(ARGV[3]) then return 'used' end
redis.call('HINCRBY', KEYS[1], 'sent', 1)
redis.call('HSET', KEYS[1], field, ARGV[1])
return 'ok'
