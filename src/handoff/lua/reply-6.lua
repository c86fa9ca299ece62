-- reply: an agent's message to the customer. It enters the transcript and the bot's outbound
-- stream together, so the console never shows a reply the customer will not get. Running it
-- again with the same message id (a command re-sent after a lost connection) changes nothing.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] outbound stream  KEYS[4] events stream
-- KEYS[5] recorded msgIds hash (msgId -> transcript entry id)  KEYS[6] the day's counters hash
-- ARGV[1] conversation id  ARGV[2] agent id  ARGV[3] agent name  ARGV[4] text  ARGV[5] now (ms)
-- ARGV[6] outbound message id (unique)  ARGV[7] customer id  ARGV[8] events max length
-- ARGV[9] outbound max length  ARGV[10] how long the day's counters are kept (s)
-- Returns {transcript entry id, 1 when this was the first response of the handoff else 0}, or an
-- error: NOT_FOUND | NOT_ASSIGNEE <owner id> | ILLEGAL_TRANSITION <status> reply
local seen = redis.call('HGET', KEYS[5], ARGV[6])
if seen then return {seen, 0} end
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status ~= 'active' then return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' reply') end
local owner = redis.call('HGET', KEYS[1], 'assigneeId') or ''
if owner ~= ARGV[2] then return redis.error_reply('NOT_ASSIGNEE ' .. owner) end
local id = redis.call('XADD', KEYS[2], '*', 'from', 'agent', 'text', ARGV[4], 'at', ARGV[5],
  'agentId', ARGV[2], 'agentName', ARGV[3], 'msgId', ARGV[6])
redis.call('HSET', KEYS[5], ARGV[6], id)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[9], '*', 'kind', 'text', 'conv', ARGV[1],
  'customerId', ARGV[7], 'msgId', ARGV[6], 'text', ARGV[4], 'at', ARGV[5])
local first = redis.call('HSETNX', KEYS[1], 'firstResponseAt', ARGV[5])
-- Replies in this handoff: "resolved with one agent reply" is counted at the resolve.
redis.call('HINCRBY', KEYS[1], 'agentReplies', 1)
-- The managers' per-agent figures: every agent who replied that day, also one who took the chat
-- over by a transfer and neither answered first nor closed it (service-fields.ts).
redis.call('HINCRBY', KEYS[6], 'agent:' .. ARGV[2] .. ':replies', 1)
-- Served: the chats an agent replied in, a transfer's receiver too (each time the chat comes to
-- them and they reply), where the first-response count names only who answered first.
if redis.call('HGET', KEYS[1], 'servedBy') ~= ARGV[2] then
  redis.call('HSET', KEYS[1], 'servedBy', ARGV[2])
  redis.call('HINCRBY', KEYS[6], 'agent:' .. ARGV[2] .. ':served', 1)
end
redis.call('EXPIRE', KEYS[6], ARGV[10])
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[5])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'type', 'message', 'conv', ARGV[1],
  'msg', id, 'from', 'agent', 'status', status, 'at', ARGV[5])
return {id, first}
