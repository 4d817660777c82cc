-- load.lua: see loadScript in redis.go and docs/redis.md.
--
-- This script reads a contact's state at one instant: what claim.lua reads besides the
-- lease and the inbox.
--
-- KEYS: contact, session. Returns one string, "<version> <profile length> <profile><session>"
-- ('' for a version, profile or session not stored): one reply to read, not four.

-- The profile is kept in up to four fields of at most 64 bytes (commit.lua).
local c = redis.call('HMGET', KEYS[1], 'v', 'p', 'p1', 'p2', 'p3')
c[2] = (c[2] or '') .. (c[3] or '') .. (c[4] or '') .. (c[5] or '')
local p = c[2]
return (c[1] or '') .. ' ' .. #p .. ' ' .. p .. (redis.call('GET', KEYS[2]) or '')
