-- send_done.lua: see sendDoneScript in outbox.go and docs/redis.md.
--
-- Ends an attempt at a contact's first outbox entry. Done (sent, or failed for good): the
-- entry leaves the outbox and the next one is returned, counting its first attempt, with
-- the lease extended; when there is none the lease is released and the contact leaves the
-- index, atomically, so an entry committed meanwhile is either returned here or finds the
-- lease free. Retry: the entry stays first, its answered attempts count one more, the
-- contact is due again at the given time and the lease is released.
--
-- The answer is fenced by the attempt, not only by the lease: it is taken while the lease
-- holds the token, and also after the lease ran out (Redis was away longer than the lease)
-- as long as nobody took it since — the attempt is then still the entry's last one, started
-- and unanswered, and no other sender can have made a later one (send_claim.lua counts an
-- attempt when it takes the lease). The lease is then taken again with the token. A run
-- repeated after its answer was lost finds its work done and changes nothing again.
--
-- Done also records the entry's delivery state in the contact's delivery hash (see
-- delivery_status.lua), in the same round trip: sent with the wamid (merged with a status
-- webhook that came before this answer and waits under p:<wamid>), or failed, which also
-- lists the entry in the bucket's failed index.
--
-- KEYS[1] olease, KEYS[2] outbox, KEYS[3] outq, KEYS[4] ostate (see send_claim.lua)
-- KEYS[5] delivery hash   the contact's delivery states (see delivery_status.lua)
-- KEYS[6] ofailed  zset   the bucket's failed messages: "<entry id> <contact id>" -> unix ms
-- ARGV[1] token, ARGV[2] the entry's id, ARGV[3] retry at (unix ms; '' when done),
-- ARGV[4] lease ms, ARGV[5] contact id,
-- ARGV[6] the state record "<state>|<chat.Delivery JSON>" ('' records nothing),
-- ARGV[7] the wamid of a sent message as field names hold it (store.wamidField; ''), ARGV[8] now (unix ms), ARGV[9] how long the
-- delivery hash outlives its last write in ms, '' for ever (the history's retention),
-- ARGV[10] the attempt's number (1 for the first)
--
-- Returns {0} when another sender took the entry over (nothing changed), {1, entry,
-- started, answered} with the next entry, {2} when the lease is released (or was, by the
-- first run of a repeated one).

local head = redis.call('LINDEX', KEYS[2], 0)
local first = head and string.sub(head, 1, #ARGV[2] + 1) == ARGV[2] .. ' '
local st = redis.call('HMGET', KEYS[4], 'i', 's', 'a')
local attempt = tonumber(ARGV[10])
local current = first and st[1] == ARGV[2] and tonumber(st[2] or '0') == attempt
  and tonumber(st[3] or '0') < attempt

local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  if holder or not current then
    -- A run repeated after its first one recorded the answer and let the lease go.
    if ARGV[3] ~= '' then
      if first and st[1] == ARGV[2] and tonumber(st[2] or '0') == attempt and tonumber(st[3] or '0') >= attempt then
        return {2}
      end
    elseif not first and ARGV[7] ~= '' then
      if redis.call('HGET', KEYS[5], 'w:' .. ARGV[7]) == ARGV[2] then
        return {2}
      end
    elseif not first and ARGV[6] ~= '' then
      if redis.call('HGET', KEYS[5], ARGV[2]) == ARGV[6] then
        return {2}
      end
    end
    return {0}
  end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
end

if ARGV[3] ~= '' then
  if current then
    redis.call('HINCRBY', KEYS[4], 'a', 1)
    redis.call('HDEL', KEYS[4], 'g', 'l')
  end
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
  redis.call('DEL', KEYS[1])
  return {2}
end
local repeated = not first
if first then
  redis.call('LPOP', KEYS[2])
  redis.call('DEL', KEYS[4])
  redis.call('HDEL', KEYS[5], 'c:' .. ARGV[2])
  if ARGV[6] ~= '' then
    local record = ARGV[6]
    if ARGV[7] ~= '' then
      local pending = redis.call('HGET', KEYS[5], 'p:' .. ARGV[7])
      if pending then
        record = pending
        redis.call('HDEL', KEYS[5], 'p:' .. ARGV[7])
      end
      redis.call('HSET', KEYS[5], 'w:' .. ARGV[7], ARGV[2])
    end
    redis.call('HSET', KEYS[5], ARGV[2], record)
    if string.sub(record, 1, 7) == 'failed|' then
      redis.call('ZADD', KEYS[6], ARGV[8], ARGV[2] .. ' ' .. ARGV[5])
    end
    if ARGV[9] ~= '' then
      redis.call('PEXPIRE', KEYS[5], ARGV[9])
    end
  end
end
head = redis.call('LINDEX', KEYS[2], 0)
if not head then
  redis.call('DEL', KEYS[1], KEYS[4])
  redis.call('ZREM', KEYS[3], ARGV[5])
  return {2}
end
local id = string.sub(head, 1, string.find(head, ' ', 1, true) - 1)
st = redis.call('HMGET', KEYS[4], 'i', 's', 'a')
local started, answered = 0, 0
if st[1] == id then
  started, answered = tonumber(st[2] or '0'), tonumber(st[3] or '0')
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if repeated and st[1] == id and started > 0 then
  -- The run whose answer was lost counted this attempt already; the lease held our token,
  -- so nobody else can have.
  return {1, head, started - 1, answered}
end
redis.call('HSET', KEYS[4], 'i', id, 's', started + 1, 'a', answered)
return {1, head, started, answered}
