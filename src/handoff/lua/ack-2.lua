-- ack: the bot delivered an outbound message; remember its id (so a redelivery after a crash
-- is recognised and not sent twice) and acknowledge the stream entry.
-- KEYS[1] outbound stream  KEYS[2] delivered zset (message id -> delivery time)
-- ARGV[1] consumer group  ARGV[2] stream entry id  ARGV[3] message id  ARGV[4] now (ms)
-- ARGV[5] how long to remember delivered ids (ms)
-- Returns the number of entries acknowledged (0 or 1)
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[5]))
return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
