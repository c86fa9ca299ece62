-- login: store a new token's hash for an enabled agent (never the token itself).
-- KEYS[1] token key (sha256 of the token)  KEYS[2] the agent's tokens zset (hash -> expiry ms)
-- KEYS[3] the agent's hash
-- ARGV[1] agent id  ARGV[2] time to live (ms)  ARGV[3] expires at (ms)  ARGV[4] token hash  ARGV[5] now (ms)
-- Returns 1 when stored, 0 when the agent is disabled or gone
if redis.call('HGET', KEYS[3], 'disabled') ~= '0' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIREAT', KEYS[2], redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
return 1
