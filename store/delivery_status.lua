-- delivery_status.lua: see deliveryStatusScript in delivery.go and docs/redis.md.
--
-- Applies a status webhook (sent, delivered, read, failed) to the delivery state of the
-- outbound message Meta names by its wamid. States only move forward (queued < sent <
-- delivered < read < failed): a late, lower status changes nothing. A wamid the contact's
-- delivery hash does not know yet, while the contact's outbox is not empty, is a status
-- that overtook the sender's own record of the answer (send_done.lua): it waits under
-- p:<wamid> and the sender merges it. Otherwise the message was not sent through the
-- outbox (a campaign, another tool) and nothing is recorded.
--
-- A status whose callback data names an outbox reply (ARGV[6], store.ReplyCallback) and
-- whose wamid is not on record, while the reply has a record of its own (another attempt's
-- answer), is a second copy of the reply: an attempt whose answer was lost with its
-- process reached Meta after all. Its wamid is adopted (v:<wamid> -> the entry; w: stays
-- the recorded copy's, the one exports show) and the status applied to the reply like any
-- other; later statuses of the copy find it.
--
-- The status of an attempt whose answer was never recorded, while it is still the reply's
-- last attempt, settles the reply: Meta has it, so nobody must send it again. With the
-- lease free (its sender died) the reply is recorded with this status and wamid and leaves
-- the outbox, as send_done.lua would have done; with the lease held, the status waits
-- (p:<wamid>) and c:<entry> notes which attempt Meta accepted, for send_claim.lua to
-- settle the reply instead of sending it again once the lease runs out. A failed status
-- settles nothing: the reply is tried again.
--
-- KEYS[1] delivery hash  <entry id> -> "<state>|<chat.Delivery JSON>",
--                        w:<wamid> -> entry id, v:<wamid> -> entry id of an adopted copy,
--                        p:<wamid> -> a waiting state record, c:<entry> -> "<attempt>
--                        <wamid>" of an attempt Meta accepted whose answer is not recorded
-- KEYS[4] ostate, KEYS[5] olease, KEYS[6] outq (see send_claim.lua)
-- KEYS[2] outbox   list  the contact's outbox (see send_claim.lua)
-- KEYS[3] ofailed  zset  the bucket's failed messages: "<entry id> <contact id>" -> unix ms
-- ARGV[1] the wamid as field names hold it (store.wamidField), ARGV[2] the state record, ARGV[3] contact id, ARGV[4] now (unix ms),
-- ARGV[5] how long the delivery hash outlives its last write in ms, '' for ever,
-- ARGV[6] the history entry the status's callback data names, '' for none, ARGV[7] the
-- attempt it names
--
-- Returns {1, entry} when the state moved forward, {3, entry} when it was already as far,
-- {4, entry} when a second copy was adopted, {5, entry} when it settled a reply whose
-- attempt's answer was lost, {2} when the status waits for the sender, {0} for a message
-- the outbox did not send.

local rank = {queued = 0, sent = 1, delivered = 2, read = 3, failed = 4}
local function rankOf(record)
  if not record then
    return -1
  end
  local state = string.match(record, '^(%a+)|')
  return rank[state] or -1
end

local new = rankOf(ARGV[2])
local entry = redis.call('HGET', KEYS[1], 'w:' .. ARGV[1]) or redis.call('HGET', KEYS[1], 'v:' .. ARGV[1])
if not entry and ARGV[6] ~= '' and rankOf(redis.call('HGET', KEYS[1], ARGV[6])) >= rank.sent then
  entry = ARGV[6]
  redis.call('HSET', KEYS[1], 'v:' .. ARGV[1], entry)
  -- A copy that failed does not fail the reply: the recorded one may have arrived.
  if string.sub(ARGV[2], 1, 7) ~= 'failed|' and rankOf(redis.call('HGET', KEYS[1], entry)) < new then
    redis.call('HSET', KEYS[1], entry, ARGV[2])
  end
  if ARGV[5] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
  end
  return {4, entry}
end
local settles = false
if not entry and ARGV[6] ~= '' and string.sub(ARGV[2], 1, 7) ~= 'failed|' then
  local head = redis.call('LINDEX', KEYS[2], 0)
  local st = redis.call('HMGET', KEYS[4], 'i', 's', 'a')
  local attempt = tonumber(ARGV[7])
  settles = head and string.sub(head, 1, #ARGV[6] + 1) == ARGV[6] .. ' ' and st[1] == ARGV[6]
    and tonumber(st[2] or '0') == attempt and tonumber(st[3] or '0') < attempt
end
if settles and redis.call('EXISTS', KEYS[5]) == 0 then
  entry = ARGV[6]
  redis.call('LPOP', KEYS[2])
  redis.call('DEL', KEYS[4])
  redis.call('HDEL', KEYS[1], 'p:' .. ARGV[1], 'c:' .. entry)
  redis.call('HSET', KEYS[1], 'w:' .. ARGV[1], entry, entry, ARGV[2])
  if redis.call('LLEN', KEYS[2]) == 0 then
    redis.call('ZREM', KEYS[6], ARGV[3])
  end
  if ARGV[5] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
  end
  return {5, entry}
end
if not entry then
  if redis.call('LLEN', KEYS[2]) == 0 then
    return {0}
  end
  if settles then
    redis.call('HSET', KEYS[1], 'c:' .. ARGV[6], ARGV[7] .. ' ' .. ARGV[1])
  end
  local key = 'p:' .. ARGV[1]
  if rankOf(redis.call('HGET', KEYS[1], key)) < new then
    redis.call('HSET', KEYS[1], key, ARGV[2])
    if ARGV[5] ~= '' then
      redis.call('PEXPIRE', KEYS[1], ARGV[5])
    end
  end
  return {2}
end
if rankOf(redis.call('HGET', KEYS[1], entry)) >= new then
  return {3, entry}
end
redis.call('HSET', KEYS[1], entry, ARGV[2])
if ARGV[5] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
if string.sub(ARGV[2], 1, 7) == 'failed|' then
  redis.call('ZADD', KEYS[3], ARGV[4], entry .. ' ' .. ARGV[3])
end
return {1, entry}
