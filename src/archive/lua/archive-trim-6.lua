-- archive-trim: removes a conversation from Redis once PostgreSQL holds all of it (committed), only
-- if nothing changed since that copy: its hash is exactly the hash copied (every field: still
-- resolved, same updatedAt, same tags, no rating since ...) and its transcript still ends at the last
-- entry copied. Anything else is refused and the conversation stays (the next copy catches up).
-- Only the holder of the bot account's archiver lock trims (a process whose lock expired mid-run,
-- and which another process may have overtaken, changes nothing).
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] recorded msgIds hash
-- KEYS[4] the archiver's lock of the bot account (string: the holder's token)
-- KEYS[5] the account's resolved zset (a trimmed conversation leaves the console's 已解决 list)
-- KEYS[6] the account's bot chats zset (a trimmed bot-only chat leaves the console's bot list)
-- ARGV[1] the caller's lock token  ARGV[2] the last transcript entry id copied ('' = none)
-- ARGV[3..] the hash as copied: field, value, field, value, ...
-- Returns 'trimmed' | 'gone' (no hash: trimmed already) | 'changed' (differs from the copy) |
-- 'unlocked' (the caller does not hold the lock)
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return 'unlocked' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local fields = (#ARGV - 2) / 2
if redis.call('HLEN', KEYS[1]) ~= fields then return 'changed' end
for i = 3, #ARGV - 1, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then return 'changed' end
end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local lastId = last[1] and last[1][1] or ''
if lastId ~= ARGV[2] then return 'changed' end
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if id then redis.call('ZREM', KEYS[5], id) redis.call('ZREM', KEYS[6], id) end
return 'trimmed'
