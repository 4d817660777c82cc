-- Commit one contact's state, atomically. See docs/redis.md.
--
-- KEYS[1] contact  hash    v = version, p = profile JSON, h = id of the last history entry
-- KEYS[2] session  string  session JSON
-- KEYS[3] history  stream  field e = event JSON
-- KEYS[4] due      zset    the bucket's timer index: contact id -> earliest timer (unix ms)
--
-- ARGV[1] version the caller loaded
-- ARGV[2] profile JSON
-- ARGV[3] session JSON, '' deletes the session
-- ARGV[4] session TTL in ms, '0' for none
-- ARGV[5] contact id (member of the timer index)
-- ARGV[6] earliest timer in unix ms, '' removes the contact from the index
-- ARGV[7] trim the history below this stream id, '' keeps it all
-- ARGV[8], ARGV[9], ... pairs of event time (unix ms, >= 0) and event JSON, oldest first
--
-- Returns {1, new version} or, when the stored version is not ARGV[1], {0, stored version}
-- having written nothing. Every check comes before the first write: a script that fails
-- half-way keeps the writes it made.

local stored = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if stored ~= tonumber(ARGV[1]) then
  return {0, stored}
end

-- History entry ids follow the event time but never go back: an event older than the last
-- entry gets the last entry's millisecond and the next sequence number, so the stream keeps
-- the order of the commits and ids stay usable as a time index for exports.
if #ARGV > 7 then
  local last = redis.call('HGET', KEYS[1], 'h')
  local lastMs, lastMsText, seq = 0, '0', 0
  if last then
    local dash = string.find(last, '-', 1, true)
    lastMsText = string.sub(last, 1, dash - 1)
    lastMs = tonumber(lastMsText)
    seq = tonumber(string.sub(last, dash + 1))
  end
  local id
  for i = 8, #ARGV, 2 do
    local ms = tonumber(ARGV[i])
    if ms > lastMs then
      lastMs, lastMsText, seq = ms, ARGV[i], 0
    else
      seq = seq + 1
    end
    id = lastMsText .. '-' .. seq
    redis.call('XADD', KEYS[3], id, 'e', ARGV[i + 1])
  end
  redis.call('HSET', KEYS[1], 'h', id)
end

local version = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'p', ARGV[2])

if ARGV[3] == '' then
  redis.call('DEL', KEYS[2])
elseif ARGV[4] == '0' then
  redis.call('SET', KEYS[2], ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end

if ARGV[6] == '' then
  redis.call('ZREM', KEYS[4], ARGV[5])
else
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[5])
end

if ARGV[7] ~= '' then
  redis.call('XTRIM', KEYS[3], 'MINID', ARGV[7])
end

return {1, version}
