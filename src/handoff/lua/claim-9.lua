-- claim: an agent takes a conversation (waiting -> active; bot|resolved -> active is an
-- agent-initiated takeover, or an agent reopening a closed chat). Exactly one agent wins a race; the
-- winner claiming again is a no-op.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] active zset        KEYS[6] events stream  KEYS[7] outbound stream
-- KEYS[8] resolved zset (the console's 已解决 list)  KEYS[9] bot chats zset (the console's bot list)
-- ARGV[1] conversation id  ARGV[2] agent id  ARGV[3] agent name  ARGV[4] now (ms)  ARGV[5] events max length
-- ARGV[6] customer id  ARGV[7] outbound message id ('' = do not tell the customer)  ARGV[8] outbound max length
-- ARGV[9] the name the customer hears in the joined notice ('' = none: the bot words it without one)
-- ARGV[10] the status it must be in ('' = any the claim takes; 'resolved' = a reopen, which a chat
-- already active refuses too)
-- The winner's claim tells the customer who joined (a 'joined' notice the bot words); a repeated
-- claim by the winner changes nothing and tells nobody again.
-- Returns 'active', or an error: NOT_FOUND | CONFLICT <owner id> | ILLEGAL_TRANSITION <from> active
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if ARGV[10] ~= '' and status ~= ARGV[10] then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' active')
end
if status == 'active' then
  local owner = redis.call('HGET', KEYS[1], 'assigneeId')
  if owner == ARGV[2] then return 'active' end
  return redis.error_reply('CONFLICT ' .. (owner or ''))
end
if status ~= 'waiting' and status ~= 'bot' and status ~= 'resolved' then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' active')
end
if status ~= 'waiting' then
  redis.call('HSET', KEYS[1], 'reason', 'agent_initiated', 'waitingSince', ARGV[4])
  redis.call('HDEL', KEYS[1], 'slaDueAt', 'slaWarnAt', 'firstResponseAt', 'problemId', 'agentReplies', 'servedBy')
end
redis.call('HSET', KEYS[1], 'status', 'active', 'assigneeId', ARGV[2], 'assigneeName', ARGV[3],
  'claimedAt', ARGV[4], 'updatedAt', ARGV[4])
-- The new owner has read nothing yet, but nothing counted before was written to them either.
redis.call('HDEL', KEYS[1], 'unread')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('ZREM', KEYS[9], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'claimed', 'agentId', ARGV[2], 'agentName', ARGV[3],
  'text', 'claimed by ' .. ARGV[3], 'at', ARGV[4])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'type', 'claimed', 'conv', ARGV[1],
  'agentId', ARGV[2], 'agentName', ARGV[3], 'from', status, 'at', ARGV[4])
if ARGV[7] ~= '' then
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'joined', 'conv', ARGV[1],
    'customerId', ARGV[6], 'msgId', ARGV[7], 'text', ARGV[9], 'at', ARGV[4])
end
return 'active'
