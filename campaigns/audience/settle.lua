-- Records what became of a claimed attempt: the Graph API's answer, a status webhook, the
-- reconciliation of an attempt whose outcome is unknown, or the release of a claim that was
-- never sent. Idempotent: a repeated or out-of-order status changes nothing twice, and an
-- answer for an older attempt than the current one is ignored.
--
-- KEYS[1] send, KEYS[2] inflight, KEYS[3] retry, KEYS[4] the number's counters (hash)
-- ARGV: contact, attempt, kind, number, now (ms), wamid, level, due (ms), code, cost
--   kind s: sent at level 1 (accepted), 2 (delivered) or 3 (read); wamid and cost optional
--        (cost is added once, when the attempt is first counted delivered)
--   kind f: failed for good with code
--   kind r: failed with code, retry at due
--   kind p: released: the claim was never sent; the pair is claimable again at once
--   kind u: the lease ran out with no answer: the outcome is unknown until due, when the
--        sweep releases it (kind p) for a new attempt unless a status webhook came first
-- Returns 1 when the state changed, 0 when the call was a repeat or stale.
local contact, attempt, kind = ARGV[1], ARGV[2], ARGV[3]
local now = ARGV[5]
local st = redis.call('HGET', KEYS[1], contact)
if not st then
  return 0
end
local k, a, num, ms, rest = string.match(st, '^(%a)|(%d+)|([^|]*)|(%d+)|?(.*)$')
if a ~= attempt then
  return 0
end
local open = (k == 'c' or k == 'u')
local levels = {'sent', 'delivered', 'read'}
if kind == 's' then
  local level = tonumber(ARGV[7])
  local from = 0
  local wamid = ARGV[6]
  if k == 's' then
    local w, l = string.match(rest, '^([^|]*)|(%d+)$')
    from = tonumber(l)
    if wamid == '' then wamid = w end
    if level <= from then
      return 0
    end
  elseif not open then
    return 0
  end
  if open then
    redis.call('ZREM', KEYS[2], contact)
    if k == 'u' then
      redis.call('HINCRBY', KEYS[4], 'unknown', -1)
      redis.call('HINCRBY', KEYS[4], 'unknown_resolved', 1)
    end
    num = ARGV[4] ~= '' and ARGV[4] or num
  end
  redis.call('HSET', KEYS[1], contact, 's|' .. a .. '|' .. num .. '|' .. ms .. '|' .. wamid .. '|' .. level)
  for i = from + 1, level do
    redis.call('HINCRBY', KEYS[4], levels[i], 1)
  end
  if from < 2 and level >= 2 and tonumber(ARGV[10]) > 0 then
    redis.call('HINCRBY', KEYS[4], 'cost', ARGV[10])
  end
  return 1
end
if kind == 'u' then
  if k ~= 'c' then
    return 0
  end
  redis.call('HSET', KEYS[1], contact, 'u|' .. a .. '|' .. num .. '|' .. now .. '|')
  redis.call('ZADD', KEYS[2], ARGV[8], contact)
  redis.call('HINCRBY', KEYS[4], 'unknown', 1)
  return 1
end
if not (open or k == 's') then
  return 0
end
if kind == 'p' and k ~= 'c' and k ~= 'u' then
  return 0
end
redis.call('ZREM', KEYS[2], contact)
if k == 'u' then
  redis.call('HINCRBY', KEYS[4], 'unknown', -1)
  redis.call('HINCRBY', KEYS[4], kind == 'p' and 'unknown_resent' or 'unknown_resolved', 1)
end
if kind == 'p' then
  if a == '1' then
    redis.call('HDEL', KEYS[1], contact)
  else
    redis.call('HSET', KEYS[1], contact, 'r|' .. (tonumber(a) - 1) .. '|' .. num .. '|' .. now .. '|')
    redis.call('ZADD', KEYS[3], now, contact)
  end
  return 1
end
if k == 's' then
  -- a failed status after an accepted send: the message was counted sent and now fails
  redis.call('HINCRBY', KEYS[4], 'failed_after_sent', 1)
end
if ARGV[9] == '-1' then
  -- CodeOptedOut: left out at send time because the contact opted out
  redis.call('HINCRBY', KEYS[4], 'opted_out', 1)
else
  redis.call('HINCRBY', KEYS[4], 'failed:' .. ARGV[9], 1)
end
if kind == 'f' then
  redis.call('HSET', KEYS[1], contact, 'f|' .. a .. '|' .. num .. '|' .. now .. '|' .. ARGV[9])
  return 1
end
if kind == 'r' then
  redis.call('HSET', KEYS[1], contact, 'r|' .. a .. '|' .. num .. '|' .. ARGV[8] .. '|' .. ARGV[9])
  redis.call('ZADD', KEYS[3], ARGV[8], contact)
  return 1
end
return redis.error_reply('settle: unknown kind ' .. kind)
