-- resolve: close a handled conversation (waiting|active|awaiting_fix -> resolved). The bot takes
-- the chat back: the customer's next message returns the conversation to `bot`. The customer is
-- asked for a rating (a `resolved` notice on the outbound stream, which the bot words as the rating
-- question) only when an agent replied in this handoff and the closer did not decline it: a chat
-- nobody answered (spam, a manager clearing the queue) is closed without a word to the customer.
-- Only the assignee may close a chat, or anyone when no owner is expected (a manager, the system).
-- The same agent resolving a chat they resolved is a retry whose answer was lost (a re-sent HTTP
-- request, or ioredis re-sending after a reconnect): it changes nothing and is answered as done. A
-- chat the customer reopened is `bot` again, so a later resolve is never mistaken for a retry.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] queue zset  KEYS[4] SLA timers zset
-- KEYS[5] active zset        KEYS[6] parked zset        KEYS[7] events stream  KEYS[8] outbound stream
-- KEYS[9] the day's counters hash (the funnel)  KEYS[10] the bot account's all-time counters hash
-- KEYS[11] resolved zset (the console's 已解决 list, by resolve time)
-- ARGV[1] conversation id  ARGV[2] resolved by (agent id, or 'system')  ARGV[3] now (ms)
-- ARGV[4] expected owner ('' = any: a manager's or the system's close)  ARGV[5] events max length
-- ARGV[6] customer id  ARGV[7] outbound message id  ARGV[8] outbound max length
-- ARGV[9] '1' = ask for a rating if an agent replied, '0' = never  ARGV[10] how long the day's counters are kept (s)
-- ARGV[11] the only status closed from ('' = waiting, active or awaiting_fix): the customer leaving the
-- queue ('waiting') must not close a chat an agent has just claimed
-- Closed by 'customer' (they left the queue): counted as withdrawn, not resolved (nobody resolved it).
-- Returns {'resolved', changed (1|0), rating asked (1|0)}, or an error: NOT_FOUND | CONFLICT <owner id>
-- | NOT_ASSIGNEE <owner id> resolve (no one owns it) | ILLEGAL_TRANSITION <from> resolved
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status == 'resolved' and redis.call('HGET', KEYS[1], 'resolvedBy') == ARGV[2] then
  return {'resolved', 0, 0}
end
if (status ~= 'waiting' and status ~= 'active' and status ~= 'awaiting_fix') or (ARGV[11] ~= '' and status ~= ARGV[11]) then
  return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' resolved')
end
if ARGV[4] ~= '' then
  -- A waiting chat has no owner; a parked one keeps the agent who parked it.
  local owner = redis.call('HGET', KEYS[1], 'assigneeId') or ''
  if owner == '' then return redis.error_reply('NOT_ASSIGNEE  resolve') end
  if owner ~= ARGV[4] then return redis.error_reply('CONFLICT ' .. owner) end
end
local replies = tonumber(redis.call('HGET', KEYS[1], 'agentReplies') or '0') or 0
local ask = ARGV[9] == '1' and replies > 0
local asked = ask and '1' or '0'
redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[3], 'resolvedBy', ARGV[2], 'updatedAt', ARGV[3])
redis.call('HDEL', KEYS[1], 'unread')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZADD', KEYS[11], ARGV[3], ARGV[1])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'resolved', 'agentId', ARGV[2], 'text', 'resolved', 'at', ARGV[3])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', 'type', 'resolved', 'conv', ARGV[1],
  'agentId', ARGV[2], 'from', status, 'askRating', asked, 'at', ARGV[3])
if ask then
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'resolved', 'conv', ARGV[1],
    'customerId', ARGV[6], 'msgId', ARGV[7], 'text', '', 'at', ARGV[3])
end
-- The funnel, in the same step so that a retried resolve is never counted twice: resolved, and
-- resolved with exactly one agent reply.
for i = 9, 10 do
  if ARGV[2] == 'customer' then
    redis.call('HINCRBY', KEYS[i], 'withdrawn', 1)
  else
    redis.call('HINCRBY', KEYS[i], 'resolved', 1)
    if replies == 1 then redis.call('HINCRBY', KEYS[i], 'resolved:one_reply', 1) end
  end
end
redis.call('EXPIRE', KEYS[9], ARGV[10])
return {'resolved', 1, ask and 1 or 0}
