-- forget-applied: drops records of automatically applied tags that a caller found no longer needed,
-- each only if it is as the caller saw it (a conversation tagged again since keeps its record).
-- KEYS[1] applied hash  KEYS[2] applied-at zset
-- ARGV[2i-1] conversation id  ARGV[2i] its time as read ('' : it had none, a record from before the index)
-- Returns how many were dropped.
local dropped = 0
for i = 1, #ARGV, 2 do
  local id, seen = ARGV[i], ARGV[i + 1]
  local now = redis.call('ZSCORE', KEYS[2], id)
  if (now or '') == seen then
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    dropped = dropped + 1
  end
end
return dropped
