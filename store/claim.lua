-- claim.lua: see claimScript in intake.go and docs/redis.md.
--
-- This script takes a contact's lease and returns the first queued message with the
-- contact's state, as Load would read it; when the inbox is empty it gives the lease back
-- and takes the contact out of the ready index.
--
-- KEYS: lease, inbox, ready (bucket), contact, session. ARGV: token, lease ms, contact id.
-- Returns {first message, version, profile JSON, session JSON}, an empty string for each of
-- the last three that is not stored; nil when the lease is held or the inbox is empty.

if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
local head = redis.call('LINDEX', KEYS[2], 0)
if head then
  -- The profile is kept in up to four fields of at most 64 bytes (commit.lua).
local c = redis.call('HMGET', KEYS[4], 'v', 'p', 'p1', 'p2', 'p3')
c[2] = (c[2] or '') .. (c[3] or '') .. (c[4] or '') .. (c[5] or '')
  return {head, c[1] or '', c[2] or '', redis.call('GET', KEYS[5]) or ''}
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[3])
return false
