-- send_extend.lua: see sendExtendScript in outbox.go and docs/redis.md.
--
-- Extends an outbox lease still held with the token. A lease that ran out while its
-- sender was cut off from Redis is taken back when nobody took it since: the sender's
-- attempt is still the entry's last one, started and unanswered (see send_claim.lua).
--
-- KEYS[1] olease, KEYS[2] ostate (see send_claim.lua)
-- ARGV[1] token, ARGV[2] lease ms, ARGV[3] the entry being attempted, ARGV[4] the attempt's
-- number ('' between attempts)
--
-- Returns 1 when the lease is held with the token, 2 when it was taken back, 0 when
-- another sender has it or may take it.

local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder or ARGV[4] == '' then
  return 0
end
local st = redis.call('HMGET', KEYS[2], 'i', 's', 'a')
local attempt = tonumber(ARGV[4])
if st[1] ~= ARGV[3] or tonumber(st[2] or '0') ~= attempt or tonumber(st[3] or '0') >= attempt then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HDEL', KEYS[2], 'g', 'l')
return 2
