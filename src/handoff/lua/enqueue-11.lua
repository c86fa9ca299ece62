-- enqueue: hand a conversation to the human queue (bot|resolved|awaiting_fix -> waiting).
-- Idempotent: a conversation already waiting or active is left as it is (no re-queuing).
-- The customer's tier is a manager's decision (the profile's tier) or else the rule's (ARGV[10]);
-- both tiers' SLA times come computed in business time, and the script takes that tier's.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] events stream      KEYS[6] customer profile hash (read only: a tier a manager set)  KEYS[7] parked zset
-- KEYS[8] the day's counters hash (the funnel)  KEYS[9] the bot account's all-time counters hash
-- KEYS[10] resolved zset (the console's 已解决 list)  KEYS[11] bot chats zset (the console's bot list)
-- ARGV[1] conversation id  ARGV[2] bot id  ARGV[3] customer id  ARGV[4] now (ms)  ARGV[5] reason
-- ARGV[6] SLA due, standard (ms)  ARGV[7] SLA warning, standard (ms)  ARGV[8] SLA due, vip (ms)
-- ARGV[9] SLA warning, vip (ms)  ARGV[10] tier by rule (vip|standard)  ARGV[11] question (first line)
-- ARGV[12] events max length  ARGV[13] how long the day's counters are kept (s)
-- ARGV[14] the question is filler (1|0: a bare 人工, 谢谢; preview.ts): the chat's question before it stands
-- Returns {status, waiting conversations of this bot account due before this one (-1 if not
-- waiting), SLA due ('' if none), changed (1|0), tier}
-- Customers due at the same instant (everyone who wrote over the weekend is due Monday 18:00)
-- are served first come, first served: a tie is due 1 ms after the last one queued for it.
-- append-15.lua queues the same way (a handoff decided with the customer's message): change both.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'botId', ARGV[2], 'customerId', ARGV[3],
    'status', 'bot', 'tier', 'standard', 'tags', '[]', 'createdAt', ARGV[4])
  status = 'bot'
end
if status == 'waiting' or status == 'active' then
  local due = redis.call('HGET', KEYS[1], 'slaDueAt') or ''
  local ahead = -1
  if status == 'waiting' then ahead = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. (due == '' and '0' or due)) end
  return {status, ahead, due, 0, redis.call('HGET', KEYS[1], 'tier') or 'standard'}
end
if status ~= 'bot' and status ~= 'resolved' and status ~= 'awaiting_fix' then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' waiting')
end
local tier = redis.call('HGET', KEYS[6], 'tier')
if tier ~= 'vip' and tier ~= 'standard' then tier = ARGV[10] end
local due, warn = tonumber(ARGV[6]), ARGV[7]
if tier == 'vip' then due, warn = tonumber(ARGV[8]), ARGV[9] end
local last = redis.call('ZREVRANGEBYSCORE', KEYS[3], due + 60000, due, 'WITHSCORES', 'LIMIT', 0, 1)
if last[2] then due = math.max(due, tonumber(last[2]) + 1) end
due = string.format('%d', due)
-- As append-15.lua does: a bare 人工 is about the question the chat already has.
local question = ARGV[11]
if ARGV[14] == '1' then
  local before = redis.call('HGET', KEYS[1], 'askedText')
  if not before or before == '' then before = redis.call('HGET', KEYS[1], 'preview') end
  if before and before ~= '' then question = before end
end
redis.call('HSET', KEYS[1], 'status', 'waiting', 'reason', ARGV[5], 'tier', tier,
  'question', question, 'waitingSince', ARGV[4], 'slaDueAt', due, 'slaWarnAt', warn, 'updatedAt', ARGV[4])
redis.call('HDEL', KEYS[1], 'assigneeId', 'assigneeName', 'claimedAt', 'problemId', 'firstResponseAt', 'agentReplies',
  'servedBy', 'releasedBy')
redis.call('ZREM', KEYS[4], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
-- Leaving awaiting_fix: no longer parked (or it would stay listed and counted as awaiting a fix).
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[10], ARGV[1])
redis.call('ZREM', KEYS[11], ARGV[1])
redis.call('ZADD', KEYS[3], due, ARGV[1])
redis.call('ZADD', KEYS[4], warn, ARGV[1] .. '|warn', due, ARGV[1] .. '|breach')
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'waiting', 'reason', ARGV[5], 'text', 'handoff: ' .. ARGV[5], 'at', ARGV[4])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[12], '*', 'type', 'waiting', 'conv', ARGV[1],
  'reason', ARGV[5], 'slaDueAt', due, 'from', status, 'at', ARGV[4])
-- The funnel's handoffs by reason, counted with the transition itself: exactly once per handoff.
redis.call('HINCRBY', KEYS[8], 'handoff:' .. ARGV[5], 1)
redis.call('HINCRBY', KEYS[9], 'handoff:' .. ARGV[5], 1)
redis.call('EXPIRE', KEYS[8], ARGV[13])
return {'waiting', redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. due), due, 1, tier}
