-- tags: set a conversation's tags (they feed satisfaction by category and the FAQ's top 10).
-- Checked and written in one step, so a chat claimed or resolved meanwhile is judged as it is now:
-- a chat with an owner is tagged by that owner only (active, or parked by its agent: the assignee;
-- resolved: the agent who resolved it); a chat nobody owns (bot, waiting, parked from the queue)
-- by any agent. A manager (no caller to check) may tag any chat.
-- KEYS[1] conversation hash  KEYS[2] events stream  KEYS[3] bot chats zset (scored by updatedAt: kept in step)
-- ARGV[1] conversation id  ARGV[2] tags (JSON array)  ARGV[3] now (ms)  ARGV[4] events max length
-- ARGV[5] the agent held to the rules ('' = none: a manager or the system)  ARGV[6] by (agent id for the event, '' = none)
-- Returns 'ok', or an error: NOT_FOUND | NOT_ASSIGNEE <owner id> tag|tag-resolved
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if ARGV[5] ~= '' then
  local owner, action = '', 'tag'
  if status == 'resolved' then
    owner, action = redis.call('HGET', KEYS[1], 'resolvedBy') or '', 'tag-resolved'
  elseif status == 'active' or status == 'awaiting_fix' then
    owner = redis.call('HGET', KEYS[1], 'assigneeId') or ''
  end
  if owner ~= '' and owner ~= ARGV[5] then return redis.error_reply('NOT_ASSIGNEE ' .. owner .. ' ' .. action) end
end
redis.call('HSET', KEYS[1], 'tags', ARGV[2], 'updatedAt', ARGV[3])
if status == 'bot' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) end
local event = {'type', 'tags', 'conv', ARGV[1], 'tags', ARGV[2], 'at', ARGV[3]}
if ARGV[6] ~= '' then
  event[#event + 1] = 'agentId'
  event[#event + 1] = ARGV[6]
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(event))
return 'ok'
