-- push.lua: see pushScript in intake.go and docs/redis.md.
--
-- This script appends messages to a contact's inbox, skipping those whose id was committed
-- within the dedupe period, and marks the contact ready. Given a token, it also claims the
-- contact for a worker of the pushing process when its lease is free, as claim.lua would:
-- the hand-over that saves the worker its claim round trip.
--
-- KEYS: inbox, ready (bucket), queued (bucket), seen, then for a claim only: lease,
-- contact, session
-- ARGV: now (ms), dedupe horizon (ms, empty for none), contact id, token ('' claims
-- nothing), lease ms, then pairs of message id and message JSON.
-- Returns {pushed} — how many messages it appended — or, when it claimed the contact,
-- {pushed, first message, version, profile JSON, session JSON} (claim.lua's reply).

local pushed = 0
for i = 6, #ARGV, 2 do
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
if pushed == 0 then
  return {0}
end
-- The contact stays in the ready index while claimed: if the claimer dies, its lease
-- expires and any replica's scan finds the contact.
redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[3])
redis.call('INCRBY', KEYS[3], pushed)
if ARGV[4] == '' or not redis.call('SET', KEYS[5], ARGV[4], 'NX', 'PX', ARGV[5]) then
  return {pushed}
end
-- The profile is kept in up to four fields of at most 64 bytes (commit.lua).
local c = redis.call('HMGET', KEYS[6], 'v', 'p', 'p1', 'p2', 'p3')
c[2] = (c[2] or '') .. (c[3] or '') .. (c[4] or '') .. (c[5] or '')
return {pushed, redis.call('LINDEX', KEYS[1], 0), c[1] or '', c[2] or '', redis.call('GET', KEYS[7]) or ''}
