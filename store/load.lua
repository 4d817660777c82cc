-- load.lua: see loadScript in redis.go and docs/redis.md.
--
-- This script reads a contact's state at one instant: what claim.lua reads besides the
-- lease and the inbox.
--
-- KEYS: contact, session. Returns {version, profile, session}, '' for each not stored.

local c = redis.call('HMGET', KEYS[1], 'v', 'p')
return {c[1] or '', c[2] or '', redis.call('GET', KEYS[2]) or ''}
