-- owned: the same fields of those conversations among many that one agent owns, in one reply. An
-- agent's own chats among every active or parked one ("mine"): the hashes of the others are read
-- here and left here, not sent to the console to be decoded and thrown away.
-- KEYS[1..n] conversation hashes (of one bot account)
-- ARGV[1] the owner's agent id (the hashes' assigneeId)
-- ARGV[2..m] the field names
-- Returns a JSON array with one array per owned hash, in KEYS' order: its position in KEYS
-- (1-based), then its fields' values in ARGV[2..]'s order (false where a field is missing)
local names = {}
for j = 2, #ARGV do names[#names + 1] = ARGV[j] end
local out = '['
local n = 0
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'assigneeId') == ARGV[1] then
    local row = redis.call('HMGET', KEYS[i], unpack(names))
    table.insert(row, 1, i)
    out = out .. (n > 0 and ',' or '') .. cjson.encode(row)
    n = n + 1
  end
end
-- Built by hand: cjson writes an empty table as {} (an object), not [].
return out .. ']'
