-- archive-release: lets go of the archiver's lock, only if the caller still holds it (after an expiry
-- another process may hold it now).
-- KEYS[1] the lock (string: the holder's token)
-- ARGV[1] the caller's token
-- Returns 1 when released, 0 when the caller did not hold it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
