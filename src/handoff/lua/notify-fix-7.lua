-- notify-fix: tell one linked customer that the known problem they wait on is fixed, exactly once
-- however often it runs (the notices set is the guard): a templated notice onto the bot's outbound
-- stream, a system line in the transcript, and a conversation still parked on this problem is
-- resolved (it reopens only when the customer writes back).
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] parked zset  KEYS[4] events stream
-- KEYS[5] outbound stream    KEYS[6] fix notices set  KEYS[7] resolved zset (the console's 已解决 list)
-- ARGV[1] conversation id  ARGV[2] problem id  ARGV[3] now (ms)  ARGV[4] customer id
-- ARGV[5] outbound message id  ARGV[6] problem title  ARGV[7] fix note
-- ARGV[8] events max length  ARGV[9] outbound max length
-- Returns 1 when this call sent the notice, 0 when it was sent before (or the conversation is gone)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SADD', KEYS[6], ARGV[2] .. '|' .. ARGV[1]) == 0 then return 0 end
local status = redis.call('HGET', KEYS[1], 'status')
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', 'kind', 'fixed', 'conv', ARGV[1], 'customerId', ARGV[4],
  'msgId', ARGV[5], 'text', ARGV[7], 'title', ARGV[6], 'problemId', ARGV[2], 'at', ARGV[3])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'fixed', 'problemId', ARGV[2],
  'text', 'fixed: ' .. ARGV[6], 'at', ARGV[3])
if status == 'awaiting_fix' and redis.call('HGET', KEYS[1], 'problemId') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[3], 'resolvedBy', 'system', 'updatedAt', ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[7], ARGV[3], ARGV[1])
  status = 'resolved'
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'type', 'fixed', 'conv', ARGV[1], 'problemId', ARGV[2],
  'status', status, 'at', ARGV[3])
return 1
