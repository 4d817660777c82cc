-- send_claim.lua: see sendClaimScript in outbox.go and docs/redis.md.
--
-- Takes a contact's outbox lease, when its outbox is due, and returns its first entry,
-- counting one more attempt of it.
--
-- KEYS[1] olease   string  the outbox lease
-- KEYS[2] outbox   list    the contact's entries "<history entry id> <queued ms> <message JSON>"
-- KEYS[3] outq     zset    the bucket's outbox index: contact id -> when to send next (unix ms)
-- KEYS[4] ostate   hash    the first entry's attempts: i entry id, s started, a answered
-- ARGV[1] token, ARGV[2] lease ms, ARGV[3] contact id, ARGV[4] now (unix ms)
--
-- Returns {entry, started, answered} with the attempts before this one; nil when the outbox
-- is not due, its lease is held, or it is empty (the contact then leaves the index).

local due = redis.call('ZSCORE', KEYS[3], ARGV[3])
if not due or tonumber(due) > tonumber(ARGV[4]) then
  return false
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then
  redis.call('DEL', KEYS[1], KEYS[4])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return false
end
local id = string.sub(head, 1, string.find(head, ' ', 1, true) - 1)
local st = redis.call('HMGET', KEYS[4], 'i', 's', 'a')
local started, answered = 0, 0
if st[1] == id then
  started, answered = tonumber(st[2] or '0'), tonumber(st[3] or '0')
end
redis.call('HSET', KEYS[4], 'i', id, 's', started + 1, 'a', answered)
return {head, started, answered}
