-- load.lua: see loadScript in redis.go and docs/redis.md.
--
-- This script reads a contact's state at one instant: what claim.lua reads besides the
-- lease and the inbox.
--
-- KEYS: contact, session. Returns one string, "<version> <profile length> <profile><session>"
-- ('' for a version, profile or session not stored): one reply to read, not four.

local c = redis.call('HMGET', KEYS[1], 'v', 'p')
local p = c[2] or ''
return (c[1] or '') .. ' ' .. #p .. ' ' .. p .. (redis.call('GET', KEYS[2]) or '')
