-- extend.lua: see extendScript in intake.go and docs/redis.md.
--
-- This script extends a lease that is still held with the token. KEYS: lease.
-- ARGV: token, lease ms. Returns 1, or 0 when the lease is lost.

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
