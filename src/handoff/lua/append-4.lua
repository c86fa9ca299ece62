-- append: add one message to a conversation's transcript, creating the conversation on first use.
-- A customer writing to a resolved conversation gives it back to the bot.
-- A message with a msgId already recorded changes nothing: after a connection loss ioredis sends
-- unanswered commands again, and the first run may have happened (its reply was what got lost).
-- KEYS[1] conversation hash   KEYS[2] transcript stream   KEYS[3] events stream
-- KEYS[4] recorded msgIds hash (msgId -> transcript entry id)
-- ARGV[1] conversation id  ARGV[2] bot id  ARGV[3] customer id  ARGV[4] now (ms)
-- ARGV[5] from (customer|bot|agent|system|note)  ARGV[6] text  ARGV[7] events max length
-- ARGV[8] customer name ('' = unknown)  ARGV[9..] extra transcript field/value pairs
-- Returns {transcript entry id, status after}; for a repeated msgId, the first entry's id
local msgId
for i = 9, #ARGV - 1, 2 do
  if ARGV[i] == 'msgId' then msgId = ARGV[i + 1] end
end
local status = redis.call('HGET', KEYS[1], 'status')
if msgId and status then
  local seen = redis.call('HGET', KEYS[4], msgId)
  if seen then return {seen, status} end
end
if not status then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'botId', ARGV[2], 'customerId', ARGV[3],
    'status', 'bot', 'tier', 'standard', 'tags', '[]', 'createdAt', ARGV[4])
  status = 'bot'
elseif status == 'resolved' and ARGV[5] == 'customer' then
  -- Back to the bot: the last handoff's owner and timers no longer describe this chat.
  redis.call('HSET', KEYS[1], 'status', 'bot')
  redis.call('HDEL', KEYS[1], 'assigneeId', 'assigneeName', 'claimedAt', 'reason', 'question',
    'waitingSince', 'slaDueAt', 'slaWarnAt', 'firstResponseAt', 'problemId')
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'reopened', 'conv', ARGV[1], 'at', ARGV[4])
  status = 'bot'
end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'customerName', ARGV[8]) end
local fields = {'from', ARGV[5], 'text', ARGV[6], 'at', ARGV[4]}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
if msgId then redis.call('HSET', KEYS[4], msgId, id) end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4])
if ARGV[5] == 'customer' then redis.call('HSET', KEYS[1], 'lastCustomerAt', ARGV[4]) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'message', 'conv', ARGV[1],
  'msg', id, 'from', ARGV[5], 'status', status, 'at', ARGV[4])
return {id, status}
