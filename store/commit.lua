-- Commit one contact's state, atomically, and acknowledge the intake message it stores.
-- See docs/redis.md.
--
-- KEYS[1]  contact   hash    v = version, p (p1, p2, p3) = profile (contact.AppendContact),
--                            h = id of the last history entry, u = the user id whose
--                            mapping is written
-- KEYS[2]  session   string  session (contact.AppendSession)
-- KEYS[3]  history   list    entries "<entry id> <event JSON>", oldest first; a stream (field
--                            e = event JSON) when written before lists and too long to convert
-- KEYS[4]  due       zset    the bucket's timer index: contact id -> earliest timer (unix ms)
-- KEYS[5]  seen      zset    inbound message ids committed, scored by commit time (unix ms)
-- KEYS[6]  contacts  set     the bucket's contact index
-- with an outbox:
-- KEYS[7]  outbox    list    the contact's committed replies not yet sent: entries
--                            "<history entry id> <queued at, unix ms> <chat.Outbound JSON>"
-- KEYS[8]  outq      zset    the bucket's outbox index: contact id -> when to send next (unix ms)
-- KEYS[9]  olease    string  the outbox lease: the fencing token of the sender holding it
-- KEYS[10] ostate    hash    the first outbox entry's attempts: i entry id, s started, a answered
-- with an intake transaction:
-- KEYS[11] lease     string  the intake lease: the fencing token of the worker holding the contact
-- KEYS[12] inbox     list    the contact's queued inbound messages, oldest first
-- KEYS[13] queued    string  the bucket's count of queued messages
-- KEYS[14] ready     zset    the bucket's ready index: contacts with a non-empty inbox
-- A commit declares only the keys it may touch: the first six, the outbox's when the store
-- has one (or the transaction's follow), and the transaction's when it has a fencing token.
--
-- The arguments come packed, so that the client has fewer values to send (each costs it
-- an allocation). ARGV[1] holds the numbers, separated by spaces, '_' for an empty one —
-- A[1], A[4], A[6], A[7], A[8], A[9], A[10], A[14], A[16], A[17], A[18] below, then each
-- event's time — then a newline, then the strings A[2], A[3], A[5], A[11], A[12], A[13],
-- A[15] and the n inbound message ids A[19] .., each after its length in eight digits and
-- a space. Then come, per event, its JSON and the message to send. The script first
-- unpacks them into A:
--
-- A[1]   version the caller loaded
-- A[2]   profile (contact.AppendContact)
-- A[3]   session (contact.AppendSession), '' deletes the session
-- A[4]   session TTL in ms, '0' for none
-- A[5]   contact id (member of the timer and contact indexes)
-- A[6]   earliest timer in unix ms, '' removes the contact from the timer index
-- A[7]   trim the history below this entry id (unix ms), '' keeps it all
-- A[8]   now, unix ms (the score of newly seen message ids)
-- A[9]   dedupe horizon, unix ms: ids seen at or after it are duplicates, older ones are
--        forgotten; '' turns deduplication off
-- A[10]  dedupe period in ms (the TTL of the seen set)
-- A[11]  fencing token the caller holds, '' when it holds none
-- A[12]  the profile's user id, '' for none
-- A[13]  the intake message this commit stores, as the inbox holds it, to acknowledge;
--        '' for none (only with a fencing token)
-- A[14]  the lease in ms, renewed by an acknowledgement
-- A[15]  outbox token: when the commit queues replies, the contact's outbox is due and
--        its lease is free, the caller takes the lease with this token; '' never takes it
-- A[16]  the outbox lease in ms
-- A[17]  '1': an acknowledgement that finds the inbox empty also releases the contact
--        (deletes the lease, takes the contact out of the ready index); '' keeps the lease
-- A[18]  n, the number of inbound message ids that follow
-- A[19]  .. A[18+n] inbound message ids
-- then triples of event time (unix ms, >= 0), event JSON and the chat.Outbound JSON to
-- send ('' for an event that sends nothing), oldest first
--
-- Returns
--   {1, new version, map, head, started, answered, ack[, next]}
--                                       committed; map is 1 when the user id mapping must be
--                                       written; head is the first outbox entry when the
--                                       caller took the outbox lease ('' otherwise), with its
--                                       attempts before this one (started, answered)
--   {0, stored version}                 the stored version is not A[1]
--   {2, message id, ack[, next]}        the message id was committed within the dedupe period
--   {3}                                 A[11] is not the lease's token: another worker holds
--                                       the contact
-- ack is 1 when A[13] was acknowledged: taken out of the inbox if it is still first there
-- (a retry may find it gone), and the lease renewed; next is then the message now first in
-- the inbox, absent when the inbox is empty. ack is 2 when it was acknowledged, the inbox is
-- empty and A[17] asked for the release: the lease is gone and the contact is no longer
-- ready, so a message pushed after this script finds the contact free. A refused duplicate
-- is acknowledged too; a conflict and a fenced commit are not.
-- Every check comes before the first write: a script that fails half-way keeps the writes it
-- made, and a refused commit writes nothing.

local A = {}
do
  local blob = ARGV[1]
  local nl = string.find(blob, '\n', 1, true)
  local nums = {}
  for f in string.gmatch(string.sub(blob, 1, nl - 1), '%S+') do
    nums[#nums + 1] = f == '_' and '' or f
  end
  A[1], A[4], A[6], A[7], A[8], A[9], A[10], A[14], A[16], A[17], A[18] =
    nums[1], nums[2], nums[3], nums[4], nums[5], nums[6], nums[7], nums[8], nums[9], nums[10], nums[11]
  local pos = nl + 1
  local function take()
    local size = tonumber(string.sub(blob, pos, pos + 7))
    local s = string.sub(blob, pos + 9, pos + 8 + size)
    pos = pos + 9 + size
    return s
  end
  for _, i in ipairs({2, 3, 5, 11, 12, 13, 15}) do
    A[i] = take()
  end
  for i = 1, tonumber(nums[11]) do
    A[18 + i] = take()
  end
  local e = 12
  for i = 2, #ARGV, 2 do
    A[#A + 1] = nums[e]
    A[#A + 1] = ARGV[i]
    A[#A + 1] = ARGV[i + 1]
    e = e + 1
  end
end

-- ack acknowledges A[13] and appends the answer (ack[, next]) to reply. The fence check
-- has passed: the lease holds A[11].
local function ack(reply)
  if A[13] == '' or A[11] == '' then
    reply[#reply + 1] = 0
    return reply
  end
  if redis.call('LINDEX', KEYS[12], 0) == A[13] then
    redis.call('LPOP', KEYS[12])
    redis.call('DECR', KEYS[13])
  end
  local head = redis.call('LINDEX', KEYS[12], 0)
  if not head and A[17] == '1' then
    redis.call('DEL', KEYS[11])
    redis.call('ZREM', KEYS[14], A[5])
    reply[#reply + 1] = 2
    return reply
  end
  redis.call('PEXPIRE', KEYS[11], A[14])
  reply[#reply + 1] = 1
  if head then
    reply[#reply + 1] = head
  end
  return reply
end

if A[11] ~= '' and redis.call('GET', KEYS[11]) ~= A[11] then
  return {3}
end

local n = tonumber(A[18])
local dedupe = A[9] ~= ''
if dedupe then
  local horizon = tonumber(A[9])
  for i = 19, 18 + n do
    local at = redis.call('ZSCORE', KEYS[5], A[i])
    if at and tonumber(at) >= horizon then
      return ack({2, A[i]})
    end
  end
end

local stored = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if stored ~= tonumber(A[1]) then
  return {0, stored}
end

-- The history is a list: a stream's first node takes 4 KB (stream-node-max-bytes' default)
-- however short the history, a list's nodes take what they hold. A stream written before
-- lists is converted while it is short (a bounded copy); a long one stays a stream, whose
-- nodes are full by then, and is read as one.
local stream = redis.call('TYPE', KEYS[3])['ok'] == 'stream'
if stream and redis.call('XLEN', KEYS[3]) <= 64 then
  local entries = redis.call('XRANGE', KEYS[3], '-', '+')
  redis.call('DEL', KEYS[3])
  for _, e in ipairs(entries) do
    redis.call('RPUSH', KEYS[3], e[1] .. ' ' .. e[2][2])
  end
  stream = false
end

-- History entry ids follow the event time but never go back: an event older than the last
-- entry gets the last entry's millisecond and the next sequence number, so the history keeps
-- the order of the commits and ids stay usable as a time index for exports.
local first = 19 + n
local queued = 0
if #A >= first then
  local last = redis.call('HGET', KEYS[1], 'h')
  local lastMs, lastMsText, seq = 0, '0', 0
  if last then
    local dash = string.find(last, '-', 1, true)
    lastMsText = string.sub(last, 1, dash - 1)
    lastMs = tonumber(lastMsText)
    seq = tonumber(string.sub(last, dash + 1))
  end
  local id
  for i = first, #A, 3 do
    local ms = tonumber(A[i])
    if ms > lastMs then
      lastMs, lastMsText, seq = ms, A[i], 0
    else
      seq = seq + 1
    end
    id = lastMsText .. '-' .. seq
    if stream then
      redis.call('XADD', KEYS[3], id, 'e', A[i + 1])
    else
      redis.call('RPUSH', KEYS[3], id .. ' ' .. A[i + 1])
    end
    if A[i + 2] ~= '' then
      redis.call('RPUSH', KEYS[7], id .. ' ' .. A[8] .. ' ' .. A[i + 2])
      queued = queued + 1
    end
  end
  redis.call('HSET', KEYS[1], 'h', id)
end

local version = redis.call('HINCRBY', KEYS[1], 'v', 1)
-- The profile goes in fields of at most 64 bytes, p, p1, p2 and p3 (the last takes the
-- rest): a hash whose values all fit 64 bytes (hash-max-listpack-value) stays a compact
-- listpack, about 200 bytes, where one longer value makes it a hash table of about 470.
if #A[2] <= 64 then
  redis.call('HSET', KEYS[1], 'p', A[2])
  redis.call('HDEL', KEYS[1], 'p1', 'p2', 'p3')
else
  local p = A[2]
  local chunks = {string.sub(p, 1, 64), string.sub(p, 65, 128), string.sub(p, 129, 192), string.sub(p, 193)}
  for i, f in ipairs({'p', 'p1', 'p2', 'p3'}) do
    if chunks[i] ~= '' then
      redis.call('HSET', KEYS[1], f, chunks[i])
    else
      redis.call('HDEL', KEYS[1], f)
    end
  end
end
redis.call('SADD', KEYS[6], A[5])

if A[3] == '' then
  redis.call('DEL', KEYS[2])
elseif A[4] == '0' then
  redis.call('SET', KEYS[2], A[3])
else
  redis.call('SET', KEYS[2], A[3], 'PX', A[4])
end

if A[6] == '' then
  redis.call('ZREM', KEYS[4], A[5])
else
  redis.call('ZADD', KEYS[4], A[6], A[5])
end

if A[7] ~= '' then
  if stream then
    redis.call('XTRIM', KEYS[3], 'MINID', A[7])
  else
    local below = tonumber(A[7])
    while true do
      local e = redis.call('LINDEX', KEYS[3], 0)
      if not e or tonumber(string.sub(e, 1, string.find(e, '-', 1, true) - 1)) >= below then
        break
      end
      redis.call('LPOP', KEYS[3])
    end
  end
end

if dedupe and n > 0 then
  for i = 19, 18 + n do
    redis.call('ZADD', KEYS[5], A[8], A[i])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. A[9])
  redis.call('PEXPIRE', KEYS[5], A[10])
end

-- The user id mapping lives in the user id's bucket, another slot on a cluster, so the
-- store writes it after this script; u records that it did.
local map = 0
if A[12] ~= '' and redis.call('HGET', KEYS[1], 'u') ~= A[12] then
  map = 1
end

-- The replies wait in the outbox for a sender. When none holds it and it is due (not
-- backing off from a failed attempt), the caller takes it and sends at once — unless the
-- first entry's last attempt is unanswered: its sender may only be cut off from Redis, and
-- a scan takes it over after a grace (send_claim.lua).
local head, started, answered = '', 0, 0
if queued > 0 then
  redis.call('ZADD', KEYS[8], 'NX', A[8], A[5])
  local due = tonumber(redis.call('ZSCORE', KEYS[8], A[5]))
  if A[15] ~= '' and due <= tonumber(A[8]) and redis.call('EXISTS', KEYS[9]) == 0 then
    local first = redis.call('LINDEX', KEYS[7], 0)
    local id = string.sub(first, 1, string.find(first, ' ', 1, true) - 1)
    local st = redis.call('HMGET', KEYS[10], 'i', 's', 'a')
    if st[1] == id then
      started, answered = tonumber(st[2] or '0'), tonumber(st[3] or '0')
    end
    if started == answered then
      head = first
      redis.call('SET', KEYS[9], A[15], 'PX', A[16])
      redis.call('HSET', KEYS[10], 'i', id, 's', started + 1, 'a', answered)
      redis.call('HDEL', KEYS[10], 'g', 'l')
    else
      started, answered = 0, 0
    end
  end
end

return ack({1, version, map, head, started, answered})
