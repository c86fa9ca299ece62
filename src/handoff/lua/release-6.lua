-- release: an agent gives an active conversation back to the queue (active -> waiting).
-- It keeps its original SLA due time: releasing must not buy anyone time. SLA timers that were
-- already due before the claim are not re-armed (each warning and breach is announced once).
-- The same agent releasing a chat they released, still waiting since, is a retry whose answer was
-- lost: it changes nothing and is answered as done. `releasedBy` counts only while the chat is
-- still waiting from that release: enqueue, the only other way into the queue, clears it.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] active zset        KEYS[6] events stream
-- ARGV[1] conversation id  ARGV[2] expected owner ('' = any)  ARGV[3] now (ms)
-- ARGV[4] SLA due to use when the conversation had none (agent-initiated)  ARGV[5] its warning time
-- ARGV[6] events max length  ARGV[7] released by (agent id; '' = unknown, no retry is recognised)
-- Returns 'waiting', or an error: NOT_FOUND | CONFLICT <owner id> | ILLEGAL_TRANSITION <from> waiting
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status == 'waiting' and ARGV[7] ~= '' and redis.call('HGET', KEYS[1], 'releasedBy') == ARGV[7] then
  return 'waiting'
end
if status ~= 'active' then return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' waiting') end
local owner = redis.call('HGET', KEYS[1], 'assigneeId') or ''
if ARGV[2] ~= '' and owner ~= ARGV[2] then return redis.error_reply('CONFLICT ' .. owner) end
local due = redis.call('HGET', KEYS[1], 'slaDueAt')
local warn = redis.call('HGET', KEYS[1], 'slaWarnAt')
-- A timer that came due before the claim has fired (or was moot) during the first wait: re-arming
-- it would announce the same warning or breach a second time.
local claimedAt = tonumber(redis.call('HGET', KEYS[1], 'claimedAt') or '0')
if not due then
  due = ARGV[4]
  warn = ARGV[5]
  claimedAt = 0
  redis.call('HSET', KEYS[1], 'slaDueAt', due, 'slaWarnAt', warn)
end
redis.call('HSET', KEYS[1], 'status', 'waiting', 'updatedAt', ARGV[3])
redis.call('HDEL', KEYS[1], 'assigneeId', 'assigneeName', 'claimedAt', 'unread')
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'releasedBy', ARGV[7]) else redis.call('HDEL', KEYS[1], 'releasedBy') end
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZADD', KEYS[3], due, ARGV[1])
if tonumber(warn) >= claimedAt then redis.call('ZADD', KEYS[4], warn, ARGV[1] .. '|warn') end
if tonumber(due) >= claimedAt then redis.call('ZADD', KEYS[4], due, ARGV[1] .. '|breach') end
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'released', 'agentId', owner, 'text', 'back to the queue', 'at', ARGV[3])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', 'type', 'released', 'conv', ARGV[1],
  'agentId', owner, 'slaDueAt', due, 'at', ARGV[3])
return 'waiting'
