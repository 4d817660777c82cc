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
-- KEYS[1] delivery hash  <entry id> -> "<state>|<chat.Delivery JSON>",
--                        w:<wamid> -> entry id, v:<wamid> -> entry id of an adopted copy,
--                        p:<wamid> -> a waiting state record
-- KEYS[2] outbox   list  the contact's outbox (see send_claim.lua)
-- KEYS[3] ofailed  zset  the bucket's failed messages: "<entry id> <contact id>" -> unix ms
-- ARGV[1] the wamid as field names hold it (store.wamidField), ARGV[2] the state record, ARGV[3] contact id, ARGV[4] now (unix ms),
-- ARGV[5] how long the delivery hash outlives its last write in ms, '' for ever,
-- ARGV[6] the history entry the status's callback data names, '' for none
--
-- Returns {1, entry} when the state moved forward, {3, entry} when it was already as far,
-- {4, entry} when a second copy was adopted, {2} when the status waits for the sender, {0}
-- for a message the outbox did not send.

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
if not entry then
  if redis.call('LLEN', KEYS[2]) == 0 then
    return {0}
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
