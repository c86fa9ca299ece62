-- park: set a conversation aside until a known problem is fixed (waiting|active -> awaiting_fix).
-- Parking it again on the same problem (a request re-sent after a lost answer) changes nothing.
-- The customer is told at once (an "awaiting_fix" notice onto the bot's outbound stream), not only
-- when they write again.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] active zset        KEYS[6] parked zset        KEYS[7] events stream  KEYS[8] outbound stream
-- ARGV[1] conversation id  ARGV[2] problem id  ARGV[3] by (agent id)  ARGV[4] now (ms)
-- ARGV[5] events max length  ARGV[6] customer id  ARGV[7] outbound message id  ARGV[8] outbound max length
-- Returns 'awaiting_fix', or an error: NOT_FOUND | ILLEGAL_TRANSITION <from> awaiting_fix
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status == 'awaiting_fix' and redis.call('HGET', KEYS[1], 'problemId') == ARGV[2] then return 'awaiting_fix' end
if status ~= 'waiting' and status ~= 'active' then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' awaiting_fix')
end
redis.call('HSET', KEYS[1], 'status', 'awaiting_fix', 'problemId', ARGV[2], 'parkedAt', ARGV[4], 'updatedAt', ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'parked', 'problemId', ARGV[2], 'agentId', ARGV[3],
  'text', 'waiting for a fix: ' .. ARGV[2], 'at', ARGV[4])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', 'type', 'parked', 'conv', ARGV[1],
  'problemId', ARGV[2], 'agentId', ARGV[3], 'from', status, 'at', ARGV[4])
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'parked', 'conv', ARGV[1], 'customerId', ARGV[6],
  'msgId', ARGV[7], 'text', '', 'problemId', ARGV[2], 'at', ARGV[4])
return 'awaiting_fix'
