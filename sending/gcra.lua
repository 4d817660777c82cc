-- GCRA send-slot reservation for one number.
-- KEYS[1]  the number's limiter key, holding the theoretical arrival time (TAT) in µs
-- ARGV[1]  interval between sends in µs (1e6 / rate)
-- ARGV[2]  burst: sends that may go at once after an idle spell (>= 1)
-- ARGV[3]  the longest wait the caller accepts, in µs
-- ARGV[4]  now in µs, or "" to use the server's clock
-- ARGV[5]  how many consecutive slots to reserve (absent: 1), interval apart
-- Returns the wait in µs before the first reserved slot, or minus the wait when it exceeds
-- ARGV[3], in which case no slot is taken.
local now
if ARGV[4] == "" then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[4])
end
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxwait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then
  tat = now
end
local wait = tat - now - (burst - 1) * interval
if wait < 0 then
  wait = 0
end
if wait > maxwait then
  return -wait
end
local count = tonumber(ARGV[5] or '1') or 1
local nexttat = tat + count * interval
-- Integers as digits: a Lua number would print in exponent form and lose precision.
redis.call('SET', KEYS[1], string.format('%.0f', nexttat), 'PX', math.floor((nexttat - now) / 1000) + 1000)
return wait
