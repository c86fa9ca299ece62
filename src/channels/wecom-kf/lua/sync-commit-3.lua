-- Moves a 微信客服 account's cursor past a page the caller has handed on, if the caller still holds
-- the pull lock (its fence token): a process whose lock expired can never move the cursor.
-- KEYS[1] lock (string: the holder's fence token)
-- KEYS[2] cursor (string: kf/sync_msg's next_cursor)
-- KEYS[3] seen (sorted set: msgid -> when it was handed on, ms)
-- ARGV[1] fence token   ARGV[2] next_cursor   ARGV[3] now (ms)   ARGV[4] forget seen msgids before (ms)
-- ARGV[5] lock ttl (ms, renewed)   ARGV[6..] the page's msgids
-- Returns 1 when committed, 0 when the caller no longer holds the lock.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 6, #ARGV do
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[4])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
