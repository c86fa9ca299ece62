-- transfer: hand an active conversation to another agent (active -> active).
-- The customer hears who took over (a `joined` notice through the bot, as for a claim), unless the
-- chat stays with the same agent.
-- KEYS[1] conversation hash  KEYS[2] transcript stream  KEYS[3] events stream  KEYS[4] outbound stream
-- ARGV[1] conversation id  ARGV[2] expected current owner ('' = any: a manager's override)
-- ARGV[3] new agent id  ARGV[4] new agent name  ARGV[5] now (ms)  ARGV[6] events max length
-- ARGV[7] a note for the new owner ('' = none)  ARGV[8] its author's id  ARGV[9] its author's name
-- ARGV[10] customer id  ARGV[11] outbound message id ('' = do not tell the customer)
-- ARGV[12] outbound max length  ARGV[13] the name the customer hears ('' = none: worded without one)
-- The note is a private note in the transcript, right after the transfer line (the customer never
-- sees it), and rides on the transferred event so the new owner is shown it at once.
-- Returns 'active', or an error: NOT_FOUND | CONFLICT <owner id> | ILLEGAL_TRANSITION <from> active
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status ~= 'active' then return redis.error_reply('ILLEGAL_TRANSITION ' .. status .. ' active') end
local owner = redis.call('HGET', KEYS[1], 'assigneeId') or ''
if ARGV[2] ~= '' and owner ~= ARGV[2] then return redis.error_reply('CONFLICT ' .. owner) end
redis.call('HSET', KEYS[1], 'assigneeId', ARGV[3], 'assigneeName', ARGV[4], 'updatedAt', ARGV[5])
redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'transferred', 'fromAgentId', owner,
  'agentId', ARGV[3], 'agentName', ARGV[4], 'text', 'transferred to ' .. ARGV[4], 'at', ARGV[5])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'type', 'transferred', 'conv', ARGV[1],
  'fromAgentId', owner, 'agentId', ARGV[3], 'agentName', ARGV[4], 'note', ARGV[7], 'noteBy', ARGV[9], 'at', ARGV[5])
if ARGV[11] ~= '' and owner ~= ARGV[3] then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[12], '*', 'kind', 'joined', 'conv', ARGV[1],
    'customerId', ARGV[10], 'msgId', ARGV[11], 'text', ARGV[13], 'at', ARGV[5])
end
if ARGV[7] ~= '' then
  local id = redis.call('XADD', KEYS[2], '*', 'from', 'note', 'text', ARGV[7], 'at', ARGV[5],
    'agentId', ARGV[8], 'agentName', ARGV[9], 'transferTo', ARGV[3])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'type', 'message', 'conv', ARGV[1],
    'msg', id, 'from', 'note', 'status', 'active', 'at', ARGV[5])
end
return 'active'
