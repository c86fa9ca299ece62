-- resolve: close a handled conversation (waiting|active|awaiting_fix -> resolved). The bot takes
-- the chat back: it is told through the outbound stream (to ask for a rating), and the
-- customer's next message returns the conversation to `bot`.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] active zset        KEYS[6] parked zset        KEYS[7] events stream  KEYS[8] outbound stream
-- ARGV[1] conversation id  ARGV[2] resolved by (agent id, or 'system')  ARGV[3] now (ms)
-- ARGV[4] expected owner when active ('' = any)  ARGV[5] events max length  ARGV[6] customer id
-- ARGV[7] outbound message id  ARGV[8] outbound max length
-- Returns 'resolved', or an error: NOT_FOUND | CONFLICT <owner id> | ILLEGAL_TRANSITION <from> resolved
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status ~= 'waiting' and status ~= 'active' and status ~= 'awaiting_fix' then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' resolved')
end
if status == 'active' and ARGV[4] ~= '' then
  local owner = redis.call('HGET', KEYS[1], 'assigneeId') or ''
  if owner ~= ARGV[4] then return redis.error_reply('CONFLICT ' .. owner) end
end
redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[3], 'resolvedBy', ARGV[2], 'updatedAt', ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'resolved', 'agentId', ARGV[2], 'text', 'resolved', 'at', ARGV[3])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', 'type', 'resolved', 'conv', ARGV[1],
  'agentId', ARGV[2], 'from', status, 'at', ARGV[3])
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'resolved', 'conv', ARGV[1],
  'customerId', ARGV[6], 'msgId', ARGV[7], 'text', '', 'at', ARGV[3])
return 'resolved'
