-- release.lua: see releaseScript in intake.go and docs/redis.md.
--
-- This script gives a lease back without touching the inbox; the contact stays in the
-- ready index, so another worker takes it. KEYS: lease. ARGV: token.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
