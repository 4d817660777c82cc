-- Adds a batch of recipients to a campaign's audience: the first row of a contact wins.
-- KEYS[1] aud (sorted set contact -> line), KEYS[2] attrs (hash contact -> JSON array)
-- ARGV: line, contact, attributes ("" for none), repeated
-- Returns one character per recipient: "1" added, "0" already in the audience.
local out = {}
for i = 1, #ARGV, 3 do
  local added = redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1])
  if added == 1 and ARGV[i + 2] ~= '' then
    redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i + 2])
  end
  out[#out + 1] = added == 1 and '1' or '0'
end
return table.concat(out)
