-- push.lua: see pushScript in intake.go and docs/redis.md.
--
-- This script appends messages to a contact's inbox, skipping those whose id was committed
-- within the dedupe period, and marks the contact ready.
--
-- KEYS: inbox, ready (bucket), queued (bucket), seen
-- ARGV: now (ms), dedupe horizon (ms, empty for none), contact id, then pairs of message id
-- and message JSON. Returns how many messages it appended.

local pushed = 0
for i = 4, #ARGV, 2 do
  local dup = false
  if ARGV[2] ~= '' and ARGV[i] ~= '' then
    local at = redis.call('ZSCORE', KEYS[4], ARGV[i])
    dup = at and tonumber(at) >= tonumber(ARGV[2])
  end
  if not dup then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    pushed = pushed + 1
  end
end
if pushed > 0 then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[3])
  redis.call('INCRBY', KEYS[3], pushed)
end
return pushed
