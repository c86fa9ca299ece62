-- sla-tick: fire the SLA warnings and breaches that are due, each exactly once however many
-- processes tick (the pop and the event are one atomic step). A breach also queues the customer's
-- apology with a new estimate on the bot's outbound stream (kind `late`, text = the estimate in
-- ms), in the same step: one apology per breach, whoever ticks, and none without the breach.
-- KEYS[1] SLA timers zset ("<conv>|warn" / "<conv>|breach" scored by when they fire)
-- KEYS[2] events stream  KEYS[3] outbound stream
-- ARGV[1] now (ms)  ARGV[2] most to fire in one call  ARGV[3] events max length
-- ARGV[4] the new estimate told to a customer whose breach fires now (ms; '' = no apology)
-- ARGV[5] outbound max length
-- Returns {warnings fired, breaches fired}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local warns, breaches = 0, 0
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  local conv = string.sub(member, 1, sep - 1)
  local kind = string.sub(member, sep + 1)
  if kind == 'warn' then warns = warns + 1 else breaches = breaches + 1 end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', kind == 'warn' and 'sla_warning' or 'sla_breach',
    'conv', conv, 'at', ARGV[1])
  if kind == 'breach' and ARGV[4] ~= '' then
    -- "<bot>.<customer>": the customer id is what follows the first dot (keys.ts conversationId).
    local customerId = string.sub(conv, (string.find(conv, '.', 1, true) or 0) + 1)
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'kind', 'late', 'conv', conv, 'customerId', customerId,
      'msgId', 'late:' .. conv .. ':' .. ARGV[1], 'text', ARGV[4], 'at', ARGV[1])
  end
end
return {warns, breaches}
