-- problem-fix: mark a known problem fixed (open -> fixed) with a note; the first call's note and
-- time stand, a repeat changes nothing (the caller then finishes any notices still unsent).
-- KEYS[1] problem hash
-- ARGV[1] now (ms)  ARGV[2] note  ARGV[3] by (agent id)  ARGV[4] by (agent name)
-- Returns {status, title, note, changed (0|1)}, or an error: NOT_FOUND
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return redis.error_reply('NOT_FOUND') end
if status == 'open' then
  redis.call('HSET', KEYS[1], 'status', 'fixed', 'fixedAt', ARGV[1], 'note', ARGV[2], 'fixedById', ARGV[3], 'fixedByName', ARGV[4])
  return {'fixed', redis.call('HGET', KEYS[1], 'title'), ARGV[2], 1}
end
return {status, redis.call('HGET', KEYS[1], 'title'), redis.call('HGET', KEYS[1], 'note') or '', 0}
