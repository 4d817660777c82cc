-- Claims one (campaign, contact) pair for a send attempt, atomically, so that across
-- replicas and restarts at most one attempt of a pair is ever in flight and a pair that
-- was sent is never claimed again.
--
-- KEYS[1] send      hash: contact -> state (see docs/campaigns.md)
-- KEYS[2] inflight  sorted set: contact -> lease deadline (unix ms)
-- KEYS[3] retry     sorted set: contact -> due time (unix ms)
-- KEYS[4] aud       sorted set: the audience, contact -> line
-- KEYS[5] numbers   set: the numbers the campaign has sent from
-- ARGV: contact, number, owner, now (ms), lease (ms)
-- Returns {attempt, ""} on success, {0, state} when the pair is not claimable now.
local contact = ARGV[1]
local now = tonumber(ARGV[4])
if not redis.call('ZSCORE', KEYS[4], contact) then
  return {0, 'absent'}
end
local st = redis.call('HGET', KEYS[1], contact)
local attempt = 1
if st then
  local kind, a, due = string.match(st, '^(%a)|(%d+)|[^|]*|(%d+)')
  if kind ~= 'r' or tonumber(due) > now then
    return {0, st}
  end
  attempt = tonumber(a) + 1
  redis.call('ZREM', KEYS[3], contact)
end
redis.call('HSET', KEYS[1], contact, 'c|' .. attempt .. '|' .. ARGV[2] .. '|' .. now .. '|' .. ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), contact)
redis.call('SADD', KEYS[5], ARGV[2])
return {attempt, ''}
