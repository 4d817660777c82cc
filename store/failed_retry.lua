-- failed_retry.lua: see failedRetryScript in delivery.go and docs/redis.md.
--
-- Sends a failed message again: takes it off the bucket's failed index and queues it at the
-- end of the contact's outbox under its history entry id, its delivery state back to
-- queued; atomically, so two operators retrying at once queue it once.
--
-- KEYS[1] ofailed  zset  the bucket's failed messages: "<entry id> <contact id>" -> unix ms
-- KEYS[2] delivery hash  the contact's delivery states (see delivery_status.lua)
-- KEYS[3] outbox   list  the contact's outbox (see send_claim.lua)
-- KEYS[4] outq     zset  the bucket's outbox index
-- ARGV[1] the failed index member, ARGV[2] the entry id, ARGV[3] the outbox entry
-- "<entry id> <now ms> <chat.Outbound JSON>", ARGV[4] the queued state record,
-- ARGV[5] contact id, ARGV[6] now (unix ms)
--
-- Returns 1 when queued, 0 when the message is no longer listed as failed.

if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], 'NX', ARGV[6], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
