-- done.lua: see doneScript in intake.go and docs/redis.md.
--
-- This script ends the handling of a contact's first message and returns the next: when the
-- lease is still held with the token and the first message is the one handled, it removes
-- it (moving it to the dead-letter list when a record is given); then it extends the lease
-- and returns the next message or, when the inbox is empty, releases the lease and takes the
-- contact out of the ready index — atomically, so a message pushed meanwhile is either seen
-- here or finds the contact free and ready. The worker needs it only when no commit
-- acknowledged the message (a dead letter, a handler that does not commit it), and with an
-- empty handled message to release the contact after a commit found the inbox empty.
--
-- KEYS: lease, inbox, ready (bucket), queued (bucket), dead (bucket)
-- ARGV: token, lease ms, contact id, the handled message, dead-letter record or empty
-- Returns {0} when the lease is lost, {1, next message} or {2} when released.

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {0}
end
if redis.call('LINDEX', KEYS[2], 0) == ARGV[4] then
  redis.call('LPOP', KEYS[2])
  redis.call('DECR', KEYS[4])
  if ARGV[5] ~= '' then
    redis.call('RPUSH', KEYS[5], ARGV[5])
  end
end
local head = redis.call('LINDEX', KEYS[2], 0)
if head then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, head}
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[3])
return {2}
