-- add-agent: create an agent unless its username is taken (two concurrent adds: one wins).
-- KEYS[1] usernames hash (username -> id)  KEYS[2] the new agent's hash
-- ARGV[1] username  ARGV[2] agent id  ARGV[3..] the agent's field/value pairs
-- Returns 1 when added, 0 when the username exists
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
return 1
