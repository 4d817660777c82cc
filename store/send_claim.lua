-- send_claim.lua: see sendClaimScript in outbox.go and docs/redis.md.
--
-- Takes a contact's outbox lease, when its outbox is due, and returns its first entry,
-- counting one more attempt of it.
--
-- An entry whose last attempt was started and not answered is taken over only after a
-- grace: its sender may be alive but cut off from Redis (a restart, a failover) with the
-- answer in hand, and it records that answer, or takes its lease back, as soon as Redis
-- returns (send_done.lua, send_extend.lua). The first claim that finds such an entry notes
-- the time in ostate g and claims nothing; a claim after g + grace takes it over. The grace
-- must pass while Redis answers, so that the cut-off sender has had it too: each claim notes
-- its time in l, and one that comes more than a gap after the last (Redis, or the claimer,
-- was away) starts the grace again. Meanwhile the contact stays due, so the next scan comes
-- back to it.
--
-- An unanswered attempt Meta accepted after all — its status webhook came while its sender
-- still held the lease, and noted c:<entry> in the delivery hash (delivery_status.lua) —
-- is settled instead: the entry is recorded with that status and wamid and leaves the
-- outbox, nobody sends it again, and the next scan claims what follows.
--
-- KEYS[1] olease   string  the outbox lease
-- KEYS[2] outbox   list    the contact's entries "<history entry id> <queued ms> <message JSON>"
-- KEYS[3] outq     zset    the bucket's outbox index: contact id -> when to send next (unix ms)
-- KEYS[4] ostate   hash    the first entry's attempts: i entry id, s started, a answered,
--                          g when a claim first found its last attempt unanswered, l when
--                          one last did (unix ms)
-- KEYS[5] delivery hash   the contact's delivery states (see delivery_status.lua)
-- ARGV[1] token, ARGV[2] lease ms, ARGV[3] contact id, ARGV[4] now (unix ms),
-- ARGV[5] the grace in ms, ARGV[6] the longest gap between claims that keeps the grace going
--
-- Returns {entry, started, answered} with the attempts before this one; {'', entry id,
-- attempt} when it settled that attempt instead (nothing claimed); nil when the outbox
-- is not due, its lease is held, its unanswered attempt is in its grace, or it is empty (the
-- contact then leaves the index). A claim run again with the same token (the client retried
-- it after a lost answer) returns the same entry and counts nothing twice.

local due = redis.call('ZSCORE', KEYS[3], ARGV[3])
if not due or tonumber(due) > tonumber(ARGV[4]) then
  return false
end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return false
end
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then
  redis.call('DEL', KEYS[1], KEYS[4])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return false
end
local id = string.sub(head, 1, string.find(head, ' ', 1, true) - 1)
local st = redis.call('HMGET', KEYS[4], 'i', 's', 'a', 'g', 'l')
local started, answered = 0, 0
if st[1] == id then
  started, answered = tonumber(st[2] or '0'), tonumber(st[3] or '0')
end
if holder then
  return {head, started - 1, answered}
end
if started > answered then
  local accepted = redis.call('HGET', KEYS[5], 'c:' .. id)
  if accepted then
    local space = string.find(accepted, ' ', 1, true)
    local wamid = string.sub(accepted, space + 1)
    local record = redis.call('HGET', KEYS[5], 'p:' .. wamid)
    if tonumber(string.sub(accepted, 1, space - 1)) == started and record then
      redis.call('LPOP', KEYS[2])
      redis.call('DEL', KEYS[4])
      redis.call('HDEL', KEYS[5], 'p:' .. wamid, 'c:' .. id)
      redis.call('HSET', KEYS[5], 'w:' .. wamid, id, id, record)
      if redis.call('LLEN', KEYS[2]) == 0 then
        redis.call('ZREM', KEYS[3], ARGV[3])
      end
      return {'', id, started}
    end
  end
  local now = tonumber(ARGV[4])
  if not st[4] or not st[5] or now - tonumber(st[5]) > tonumber(ARGV[6]) then
    redis.call('HSET', KEYS[4], 'g', ARGV[4], 'l', ARGV[4])
    return false
  end
  redis.call('HSET', KEYS[4], 'l', ARGV[4])
  if now < tonumber(st[4]) + tonumber(ARGV[5]) then
    return false
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[4], 'i', id, 's', started + 1, 'a', answered)
redis.call('HDEL', KEYS[4], 'g', 'l')
return {head, started, answered}
