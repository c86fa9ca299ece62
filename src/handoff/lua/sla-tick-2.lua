-- sla-tick: fire the SLA warnings and breaches that are due, each exactly once however many
-- processes tick (the pop and the event are one atomic step).
-- KEYS[1] SLA timers zset ("<conv>|warn" / "<conv>|breach" scored by when they fire)
-- KEYS[2] events stream
-- ARGV[1] now (ms)  ARGV[2] most to fire in one call  ARGV[3] events max length
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
end
return {warns, breaches}
