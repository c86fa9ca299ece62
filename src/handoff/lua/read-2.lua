-- read: the owner of a chat has seen the customer's messages (opened the chat, or it was open when
-- they came): its unread count goes back to 0, with an event so every tab's row changes too. Only
-- the owner's reading counts (a manager looking in has not answered anything); a chat with nothing
-- unread changes nothing and writes no event, so opening a chat again and again costs no traffic.
-- KEYS[1] conversation hash  KEYS[2] events stream
-- ARGV[1] conversation id  ARGV[2] the reader's agent id  ARGV[3] now (ms)  ARGV[4] events max length
-- Returns how many were unread (0: nothing changed), or an error: NOT_FOUND
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if redis.call('HGET', KEYS[1], 'assigneeId') ~= ARGV[2] then return 0 end
local unread = tonumber(redis.call('HGET', KEYS[1], 'unread') or '0') or 0
if unread == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'unread')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'type', 'read', 'conv', ARGV[1], 'agentId', ARGV[2], 'at', ARGV[3])
return unread
