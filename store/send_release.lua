-- send_release.lua: see sendReleaseScript in outbox.go and docs/redis.md.
--
-- Gives an outbox lease back without attempting the entry counted as started for it (a
-- sender stopping): the count is taken back, so the next sender does not take the entry
-- for one whose outcome is unknown. The contact stays in the index, due at once.
--
-- KEYS[1] olease, KEYS[2] outbox, KEYS[3] outq, KEYS[4] ostate (see send_claim.lua)
-- ARGV[1] token, ARGV[2] the entry's id, ARGV[3] contact id, ARGV[4] now (unix ms)

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if redis.call('HGET', KEYS[4], 'i') == ARGV[2] then
  redis.call('HINCRBY', KEYS[4], 's', -1)
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
