-- enqueue: hand a conversation to the human queue (bot|resolved|awaiting_fix -> waiting).
-- Idempotent: a conversation already waiting or active is left as it is (no re-queuing).
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] events stream      KEYS[6] customer profile hash  KEYS[7] parked zset
-- ARGV[1] conversation id  ARGV[2] bot id  ARGV[3] customer id  ARGV[4] now (ms)  ARGV[5] reason
-- ARGV[6] SLA due (ms)  ARGV[7] SLA warning (ms)  ARGV[8] tier  ARGV[9] question (first line)
-- ARGV[10] events max length
-- Returns {status, rank in this bot's queue (-1 if not waiting), SLA due ('' if none), changed (1|0)}
-- Customers due at the same instant (everyone who wrote over the weekend is due Monday 18:00)
-- are served first come, first served: a tie is due 1 ms after the last one queued for it.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'botId', ARGV[2], 'customerId', ARGV[3],
    'status', 'bot', 'tier', 'standard', 'tags', '[]', 'createdAt', ARGV[4])
  status = 'bot'
end
if status == 'waiting' or status == 'active' then
  local rank = redis.call('ZRANK', KEYS[3], ARGV[1])
  return {status, rank or -1, redis.call('HGET', KEYS[1], 'slaDueAt') or '', 0}
end
if status ~= 'bot' and status ~= 'resolved' and status ~= 'awaiting_fix' then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' waiting')
end
local due = tonumber(ARGV[6])
local last = redis.call('ZREVRANGEBYSCORE', KEYS[3], due + 60000, due, 'WITHSCORES', 'LIMIT', 0, 1)
if last[2] then due = math.max(due, tonumber(last[2]) + 1) end
due = string.format('%d', due)
redis.call('HSET', KEYS[1], 'status', 'waiting', 'reason', ARGV[5], 'tier', ARGV[8],
  'question', ARGV[9], 'waitingSince', ARGV[4], 'slaDueAt', due, 'slaWarnAt', ARGV[7], 'updatedAt', ARGV[4])
redis.call('HDEL', KEYS[1], 'assigneeId', 'assigneeName', 'claimedAt', 'problemId', 'firstResponseAt', 'agentReplies',
  'releasedBy')
redis.call('ZREM', KEYS[4], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
-- Leaving awaiting_fix: no longer parked (or it would stay listed and counted as awaiting a fix).
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZADD', KEYS[3], due, ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1] .. '|warn', due, ARGV[1] .. '|breach')
redis.call('HSETNX', KEYS[6], 'firstHandoffAt', ARGV[4])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'waiting', 'reason', ARGV[5], 'text', 'handoff: ' .. ARGV[5], 'at', ARGV[4])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[10], '*', 'type', 'waiting', 'conv', ARGV[1],
  'reason', ARGV[5], 'slaDueAt', due, 'from', status, 'at', ARGV[4])
return {'waiting', redis.call('ZRANK', KEYS[3], ARGV[1]), due, 1}
