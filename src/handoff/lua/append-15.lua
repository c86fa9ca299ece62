-- append: add one message to a conversation's transcript, creating the conversation on first use.
-- A customer writing to a resolved conversation gives it back to the bot.
-- Optionally also the bot's replies to it, in the same step, but only while the conversation is
-- in the status the bot decided them for (one round trip per customer message; if an agent took
-- the chat meanwhile, the bot decides again).
-- A message with a msgId already recorded changes nothing: after a connection loss ioredis sends
-- unanswered commands again, and the first run may have happened (its reply was what got lost).
-- KEYS[1] conversation hash   KEYS[2] transcript stream   KEYS[3] events stream
-- KEYS[4] recorded msgIds hash (msgId -> transcript entry id)
-- KEYS[5] FAQ hits hash (faq id -> answers, all time)   KEYS[6] knowledge gaps stream (unanswered,
-- not helpful, suggested-not-picked questions, for editors)   KEYS[7] the day's counters hash (the funnel)
-- KEYS[8] the bot account's all-time counters hash (same fields as a day's)
-- KEYS[9] learning evidence stream (what customers' questions mean, for editors)
-- KEYS[10] queue zset  KEYS[11] SLA timers zset  KEYS[12] customer profile hash (read only: a tier a manager set)
-- KEYS[13] parked zset
-- KEYS[14] resolved zset (the console's 已解决 list)
-- KEYS[15] bot chats zset (the console's bot list: conversations in status bot, by updatedAt)
-- ARGV[1] conversation id  ARGV[2] bot id  ARGV[3] customer id  ARGV[4] now (ms)
-- ARGV[5] from (customer|bot|agent|system|note)  ARGV[6] text  ARGV[7] events max length
-- ARGV[8] customer name ('' = unknown)
-- ARGV[9] status the replies were decided for ('' = no replies); 'resolved' also holds for the
-- message that reopens the chat (the customer's first words after a resolve). A rating decided
-- for 'resolved' (outcome rating) leaves the chat resolved.
-- ARGV[10] replies: JSON array of {"text": ..., "fields": {field: value}} from the bot ('' = none)
-- ARGV[11] the turn's outcome ('' = none): answer | suggest | unanswered | helpful | not_helpful |
-- rating | picked | rejected | smalltalk
-- ARGV[12] its FAQ id ('' = none; an answer's other entries, several questions answered at once,
-- are read from the replies' faqId fields)   ARGV[13] the question it was about
-- ARGV[14] gaps and learning streams' max length
-- ARGV[15] how long the day's counters are kept (s)
-- ARGV[16] a handoff decided with the message: its reason ('' = none); it is made only with the
-- replies (when the decision stood), in the same step, as enqueue-11.lua makes one
-- ARGV[17] the handoff's question (first line)  ARGV[18] tier by rule (vip|standard)
-- ARGV[19] SLA due, standard (ms)  ARGV[20] SLA warning, standard (ms)  ARGV[21] SLA due, vip (ms)
-- ARGV[22] SLA warning, vip (ms)
-- ARGV[23] the message is filler for a list row (1|0: thanks, ok, 人工, 都不是, a number; preview.ts)
-- ARGV[24..] extra transcript field/value pairs of the message
-- The outcome counts only with the replies (when the decision stood), so a turn decided again is not
-- counted twice.
-- Learning: a customer's question the bot answered, suggested for or missed is kept on the
-- conversation (askedText, askedFaqId: the entry it answered with) until the next one, so a verdict,
-- a 转人工 or an agent's FAQ answer later knows what it was about. A pick, a "helpful", a "not
-- helpful" and a rejection add evidence (the question and the entry) to KEYS[9].
-- Returns {transcript entry id, status after, decided for this status (1: replies recorded) or not (0),
-- duplicate (0|1), and of the handoff ('' / -1 without one): SLA due, tier, waiting conversations
-- of this bot account due before this one, queued (1|0)};
-- for a repeated msgId, the first entry's id
local msgId
for i = 24, #ARGV - 1, 2 do
  if ARGV[i] == 'msgId' then msgId = ARGV[i + 1] end
end
local status = redis.call('HGET', KEYS[1], 'status')
-- What the bot saw when it decided: a reply to a resolved chat (the rating) reopens it, and the
-- replies decided for 'resolved' still stand.
local seenStatus = status
if msgId and status then
  local seen = redis.call('HGET', KEYS[4], msgId)
  if seen then return {seen, status, 0, 1, '', '', -1, 0} end
end
if not status then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'botId', ARGV[2], 'customerId', ARGV[3],
    'status', 'bot', 'tier', 'standard', 'tags', '[]', 'createdAt', ARGV[4])
  status = 'bot'
  redis.call('HINCRBY', KEYS[7], 'conversations', 1)
  redis.call('HINCRBY', KEYS[8], 'conversations', 1)
  redis.call('EXPIRE', KEYS[7], ARGV[15])
elseif status == 'resolved' and ARGV[5] == 'customer' and not (ARGV[11] == 'rating' and ARGV[9] == 'resolved') then
  -- Back to the bot: the last handoff's owner and timers no longer describe this chat. Not for the
  -- rating the close asked for: that is the close's last word, and the chat stays in 已解决.
  redis.call('HSET', KEYS[1], 'status', 'bot')
  redis.call('HDEL', KEYS[1], 'assigneeId', 'assigneeName', 'claimedAt', 'reason', 'question',
    'waitingSince', 'slaDueAt', 'slaWarnAt', 'firstResponseAt', 'problemId', 'agentReplies', 'servedBy', 'askedText', 'askedFaqId')
  redis.call('ZREM', KEYS[14], ARGV[1])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'reopened', 'conv', ARGV[1], 'at', ARGV[4])
  status = 'bot'
end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'customerName', ARGV[8]) end

local function append(from, text, extra)
  local fields = {'from', from, 'text', text, 'at', ARGV[4]}
  for _, v in ipairs(extra) do fields[#fields + 1] = v end
  local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'message', 'conv', ARGV[1],
    'msg', id, 'from', from, 'status', status, 'at', ARGV[4])
  return id
end

local extra = {}
for i = 24, #ARGV do extra[#extra + 1] = ARGV[i] end
local id = append(ARGV[5], ARGV[6], extra)
if msgId then redis.call('HSET', KEYS[4], msgId, id) end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4])
if ARGV[5] == 'customer' then redis.call('HSET', KEYS[1], 'lastCustomerAt', ARGV[4]) end

local replied = 0
-- The entries the replies answer with, each once, in order (several questions in one message).
local replyFaqs, seenFaq = {}, {}
if ARGV[9] == status or (ARGV[9] ~= '' and ARGV[9] == seenStatus) then
  if ARGV[10] ~= '' then
    for _, r in ipairs(cjson.decode(ARGV[10])) do
      local fields = {}
      for k, v in pairs(r.fields or {}) do
        fields[#fields + 1] = k
        fields[#fields + 1] = tostring(v)
      end
      local faq = r.fields and r.fields.faqId
      if type(faq) == 'string' and faq ~= '' and not seenFaq[faq] then
        seenFaq[faq] = true
        replyFaqs[#replyFaqs + 1] = faq
      end
      append('bot', r.text, fields)
    end
  end
  replied = 1
  local outcome = ARGV[11]
  if outcome ~= '' then
    redis.call('HINCRBY', KEYS[7], 'out:' .. outcome, 1)
    redis.call('HINCRBY', KEYS[8], 'out:' .. outcome, 1)
    -- A pick from "did you mean" is answered with the picked entry: a hit like any answer.
    local answered = (outcome == 'answer' or outcome == 'picked') and ARGV[12] or ''
    if answered ~= '' then
      redis.call('HINCRBY', KEYS[5], answered, 1)
      redis.call('HINCRBY', KEYS[7], 'faq:' .. answered, 1)
      -- Several questions answered in one turn: every other entry answered is a hit too.
      if outcome == 'answer' then
        for _, faq in ipairs(replyFaqs) do
          if faq ~= answered then
            redis.call('HINCRBY', KEYS[5], faq, 1)
            redis.call('HINCRBY', KEYS[7], 'faq:' .. faq, 1)
          end
        end
      end
    elseif outcome == 'unanswered' or outcome == 'not_helpful' or outcome == 'suggest' then
      -- A "did you mean" list is a gap until the customer picks from it (the 'picked' line below
      -- settles it; readers drop the pair: handoff/gaps.ts).
      local text = ARGV[13] ~= '' and ARGV[13] or (outcome == 'suggest' and ARGV[6] or '')
      redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[14], '*', 'conv', ARGV[1], 'reason', outcome,
        'text', text, 'faqId', ARGV[12], 'at', ARGV[4])
    end
    if outcome == 'picked' then
      redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[14], '*', 'conv', ARGV[1], 'reason', 'picked',
        'text', '', 'faqId', ARGV[12], 'at', ARGV[4])
    end
    redis.call('EXPIRE', KEYS[7], ARGV[15])
    -- What went wrong after a 1-2 rating, for the managers' 差评待跟进 list (also when it queued the chat).
    if outcome == 'rating_comment' and ARGV[13] ~= '' then redis.call('HSET', KEYS[1], 'lowRatingComment', ARGV[13]) end
    if ARGV[5] == 'customer' and (answered ~= '' or outcome == 'suggest' or outcome == 'unanswered') then
      local asked = ARGV[13] ~= '' and ARGV[13] or ARGV[6]
      -- A story of a thousand characters is no phrasing to learn; the next question replaces it.
      if #asked > 1500 then asked = '' end
      redis.call('HSET', KEYS[1], 'askedText', asked, 'askedFaqId', answered)
    end
    if outcome == 'picked' or outcome == 'helpful' or outcome == 'not_helpful' or outcome == 'rejected' then
      local text = ARGV[13] ~= '' and ARGV[13] or (redis.call('HGET', KEYS[1], 'askedText') or '')
      local faqId = ARGV[12] ~= '' and ARGV[12] or (redis.call('HGET', KEYS[1], 'askedFaqId') or '')
      if text ~= '' and faqId ~= '' then
        redis.call('XADD', KEYS[9], 'MAXLEN', '~', ARGV[14], '*', 'conv', ARGV[1], 'kind', outcome,
          'faqId', faqId, 'text', text, 'at', ARGV[4])
      end
    end
  end
end

-- For the console's rows: `unread` counts the customer's messages in a chat someone owns (active,
-- or parked) until the owner reads it (read-2.lua; claim-9.lua starts it at 0); `preview` is the
-- latest customer message that says something: not filler (ARGV[23]: 谢谢, 好的, 人工, 都不是, a
-- number, …) nor a word the bot took as a control (a pick from a list, a verdict, a rating, a menu
-- answered without a question). A handoff made with the message shows its question: the bot knows
-- what 人工 was about; a bare 人工 with no question before it takes the question the chat already
-- has (askedText, else the preview), so the row, the 我的 list and the detail say the same thing.
local handoffQuestion = ARGV[17]
if ARGV[16] ~= '' and ARGV[23] == '1' and ARGV[17] == ARGV[6] then
  local before = redis.call('HGET', KEYS[1], 'askedText')
  if not before or before == '' then before = redis.call('HGET', KEYS[1], 'preview') end
  if before and before ~= '' then handoffQuestion = before end
end
if ARGV[5] == 'customer' then
  local preview = ARGV[6]
  local outcome = ARGV[11]
  if replied == 1 and ARGV[16] ~= '' and (status == 'bot' or status == 'resolved' or status == 'awaiting_fix') then
    preview = handoffQuestion
    -- A bare 人工 / 转人工 / 人工客服 with nothing before it is its own "question": nothing to
    -- show, as when the bot words it (a turn the bot decided without an outcome shows nothing). A
    -- parked chat's messages show as they come, the bot mostly silent there: so does its 人工.
    if ARGV[16] == 'customer_asked' and handoffQuestion == ARGV[6] and #ARGV[6] <= 15 and status ~= 'awaiting_fix' then preview = '' end
  elseif replied == 1 and ARGV[9] ~= '' then
    if outcome == 'picked' or outcome == 'helpful' or outcome == 'not_helpful' or outcome == 'rating' or outcome == 'rejected' then
      preview = ''
    elseif (status == 'bot' or status == 'resolved') and outcome == '' then
      preview = ''
    elseif status == 'waiting' and ARGV[10] ~= '' then
      preview = ''
    end
  end
  if ARGV[23] == '1' and preview == ARGV[6] then preview = '' end
  if preview ~= '' then
    -- A row shows a line: at most 240 bytes, cut before a UTF-8 continuation byte.
    if #preview > 240 then
      local n = 240
      while n > 0 and string.byte(preview, n + 1) >= 128 and string.byte(preview, n + 1) < 192 do n = n - 1 end
      preview = string.sub(preview, 1, n)
    end
    redis.call('HSET', KEYS[1], 'preview', preview)
  end
  if status == 'active' or status == 'awaiting_fix' then redis.call('HINCRBY', KEYS[1], 'unread', 1) end
end

-- The handoff, as enqueue-11.lua makes it (change both), only when the decision stood: the bot
-- decides no handoff for a chat waiting or with an agent.
if replied == 1 and ARGV[16] ~= '' and (status == 'bot' or status == 'resolved' or status == 'awaiting_fix') then
  local tier = redis.call('HGET', KEYS[12], 'tier')
  if tier ~= 'vip' and tier ~= 'standard' then tier = ARGV[18] end
  local due, warn = tonumber(ARGV[19]), ARGV[20]
  if tier == 'vip' then due, warn = tonumber(ARGV[21]), ARGV[22] end
  local last = redis.call('ZREVRANGEBYSCORE', KEYS[10], due + 60000, due, 'WITHSCORES', 'LIMIT', 0, 1)
  if last[2] then due = math.max(due, tonumber(last[2]) + 1) end
  due = string.format('%d', due)
  redis.call('HSET', KEYS[1], 'status', 'waiting', 'reason', ARGV[16], 'tier', tier,
    'question', handoffQuestion, 'waitingSince', ARGV[4], 'slaDueAt', due, 'slaWarnAt', warn, 'updatedAt', ARGV[4])
  redis.call('HDEL', KEYS[1], 'assigneeId', 'assigneeName', 'claimedAt', 'problemId', 'firstResponseAt', 'agentReplies',
    'servedBy', 'releasedBy')
  redis.call('ZREM', KEYS[11], ARGV[1] .. '|warn', ARGV[1] .. '|breach')
  redis.call('ZREM', KEYS[13], ARGV[1])
  redis.call('ZADD', KEYS[10], due, ARGV[1])
  redis.call('ZADD', KEYS[11], warn, ARGV[1] .. '|warn', due, ARGV[1] .. '|breach')
  redis.call('XADD', KEYS[2], '*', 'from', 'system', 'event', 'waiting', 'reason', ARGV[16], 'text', 'handoff: ' .. ARGV[16], 'at', ARGV[4])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'waiting', 'conv', ARGV[1],
    'reason', ARGV[16], 'slaDueAt', due, 'from', status, 'at', ARGV[4])
  redis.call('HINCRBY', KEYS[7], 'handoff:' .. ARGV[16], 1)
  redis.call('HINCRBY', KEYS[8], 'handoff:' .. ARGV[16], 1)
  redis.call('EXPIRE', KEYS[7], ARGV[15])
  redis.call('ZREM', KEYS[15], ARGV[1])
  return {id, 'waiting', replied, 0, due, tier, redis.call('ZCOUNT', KEYS[10], '-inf', '(' .. due), 1}
end
-- A chat with the bot (new, back from resolved, or written to) is in the bot list at its updatedAt.
if status == 'bot' then redis.call('ZADD', KEYS[15], ARGV[4], ARGV[1]) end
return {id, status, replied, 0, '', '', -1, 0}
