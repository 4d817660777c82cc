-- Takes one send of a number's day and, when the send reaches a contact outside an open
-- window, a place in its portfolio's rolling reach set: all or nothing, for every replica.
--
-- KEYS[1] reach  sorted set of the portfolio: contact -> last reach (unix ms)
-- KEYS[2] day    hash of the number's day: n (sends), last (unix ms of the last send)
-- KEYS[3] pair   the (number, contact) pair's mark: when the pair may be written to again
-- ARGV: contact, now, cap (0: none), gap (ms), counts (0/1), limit (0: none), window (ms),
--       ttl of the day key (ms), pair gap (ms, 0: none)
-- Returns {ok, wait, retry_at, added}: wait 1 daily cap, 2 spacing, 3 portfolio limit,
-- 6 pair rate.
local now = tonumber(ARGV[2])
local cap, gap = tonumber(ARGV[3]), tonumber(ARGV[4])
local limit, window = tonumber(ARGV[6]), tonumber(ARGV[7])
local day = redis.call('HMGET', KEYS[2], 'n', 'last')
local sent, last = tonumber(day[1] or '0'), tonumber(day[2] or '0')
if cap > 0 and sent >= cap then
  return {0, 1, 0, 0}
end
if gap > 0 and last > 0 and now < last + gap then
  return {0, 2, last + gap, 0}
end
local pairgap = tonumber(ARGV[9] or '0')
if pairgap > 0 then
  local free = tonumber(redis.call('GET', KEYS[3]) or '0')
  if free > now then
    return {0, 6, free, 0}
  end
end
local added = 0
if ARGV[5] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
    if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then
      local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      return {0, 3, tonumber(oldest[2]) + window, 0}
    end
    added = 1
  end
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], window)
end
redis.call('HINCRBY', KEYS[2], 'n', 1)
redis.call('HSET', KEYS[2], 'last', now)
redis.call('PEXPIRE', KEYS[2], ARGV[8])
if pairgap > 0 then
  redis.call('SET', KEYS[3], now + pairgap, 'PX', pairgap + 60000)
end
return {1, 0, 0, added}
