-- fields: the same fields of many conversations in one reply (a page of a queue list). The caller
-- passes every hash as a key, all of one bot account (one slot in a Redis Cluster). One JSON string
-- instead of one HMGET reply per hash: decoding a page's hundreds of nested RESP values and writing
-- the field names once per hash cost the console several times what this does.
-- KEYS[1..n] conversation hashes (of one bot account)
-- ARGV[1..m] the field names
-- Returns a JSON array with one array per key, in KEYS' order, of its fields' values in ARGV's
-- order (false where a field or the whole hash is missing)
local rows = {}
for i = 1, #KEYS do
  rows[i] = redis.call('HMGET', KEYS[i], unpack(ARGV))
end
return cjson.encode(rows)
