-- authenticate: a bearer token's agent in one round trip, for a token whose agent id the console
-- already read once (a token is issued for one agent and never changes owner, so that id may be
-- remembered; whether the token is still live and the agent enabled is read here every time).
-- KEYS[1] token key (sha256 of the token)  KEYS[2] the agent's hash
-- ARGV[1] agent id  ARGV[2..n] the agent's fields to return
-- Returns the fields' values in ARGV[2..n] order (false where missing), or false when the token
-- is unknown, expired, revoked or belongs to another agent
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
return redis.call('HMGET', KEYS[2], unpack(ARGV, 2))
