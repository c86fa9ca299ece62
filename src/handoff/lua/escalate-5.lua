-- escalate: a waiting customer complains ("再不回我去12315了", "我要投诉"): the chat is due as a
-- complaint is (a VIP's SLA from now) when that is sooner than its due time, so an unhappy customer
-- moves up the queue instead of waiting behind everyone who asked since. Idempotent: a chat due as
-- soon already, or not waiting (an agent has it), is left as it is.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] events stream
-- ARGV[1] conversation id  ARGV[2] now (ms)  ARGV[3] SLA due (ms)  ARGV[4] SLA warning (ms)
-- ARGV[5] reason (complaint)  ARGV[6] events max length
-- Returns {changed (1|0), the due time it has now ('' when not waiting)}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'waiting' then return {0, ''} end
local current = redis.call('HGET', KEYS[1], 'slaDueAt') or ''
if current ~= '' and tonumber(current) <= tonumber(ARGV[3]) then return {0, current} end
redis.call('HSET', KEYS[1], 'reason', ARGV[5], 'slaDueAt', ARGV[3], 'slaWarnAt', ARGV[4], 'updatedAt', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1] .. '|warn', ARGV[3], ARGV[1] .. '|breach')
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'escalated', 'reason', ARGV[5], 'text', 'escalated: ' .. ARGV[5], 'at', ARGV[2])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[6], '*', 'type', 'escalated', 'conv', ARGV[1],
  'reason', ARGV[5], 'slaDueAt', ARGV[3], 'at', ARGV[2])
return {1, ARGV[3]}
