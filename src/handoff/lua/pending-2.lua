-- pending: the outbound consumer's read of its own pending entries after an id, each with whether
-- its message id was delivered already (a redelivery after a crash, a reply written twice), so a
-- new reply costs one round trip before its send. An entry trimmed away while pending (its fields
-- gone) is acknowledged here: there is nothing left to send.
-- KEYS[1] outbound stream  KEYS[2] delivered zset (message id -> delivery time)
-- ARGV[1] consumer group  ARGV[2] consumer name  ARGV[3] how many at most  ARGV[4] the entry id to read after ('0': from the start)
-- Returns a flat list, 3 values per pending entry in id order: its id, its fields (a list; nil when
-- trimmed), 1 when its message id (the msgId field, else the entry id) is in the delivered set, else 0
local res = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
local out = {}
if not res or not res[1] then return out end
for _, entry in ipairs(res[1][2]) do
  local id, fields = entry[1], entry[2]
  if type(fields) ~= 'table' then
    redis.call('XACK', KEYS[1], ARGV[1], id)
    out[#out + 1] = id
    out[#out + 1] = false
    out[#out + 1] = 0
  else
    local msgId = id
    for i = 1, #fields - 1, 2 do
      if fields[i] == 'msgId' then
        msgId = fields[i + 1]
        break
      end
    end
    out[#out + 1] = id
    out[#out + 1] = fields
    out[#out + 1] = redis.call('ZSCORE', KEYS[2], msgId) and 1 or 0
  end
end
return out
