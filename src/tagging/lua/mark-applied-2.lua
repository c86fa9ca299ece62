-- mark-applied: tags applied automatically to a conversation, each recorded once, with when; past
-- ARGV[4] records the oldest go, from the hash and its index together (the bound on the record).
-- KEYS[1] applied hash (conversation id -> JSON list of tags)  KEYS[2] applied-at zset (id -> ms)
-- ARGV[1] conversation id  ARGV[2] JSON list of tags  ARGV[3] now (ms)  ARGV[4] most records kept
-- Returns how many records were dropped for the bound.
local list, seen = {}, {}
local function add(t)
  if type(t) == 'string' and not seen[t] then
    seen[t] = true
    list[#list + 1] = t
  end
end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local ok, old = pcall(cjson.decode, raw)
  if ok and type(old) == 'table' then
    for _, t in ipairs(old) do add(t) end
  end
end
for _, t in ipairs(cjson.decode(ARGV[2])) do add(t) end
if #list == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(list))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
local dropped = 0
-- In chunks: unpack() of a long list would overflow Lua's stack (a cap lowered a lot at once).
while over > 0 do
  local n = math.min(over, 1000)
  local old = redis.call('ZRANGE', KEYS[2], 0, n - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - 1)
  over = over - n
  dropped = dropped + n
end
return dropped
