-- Commit one contact's state, atomically, and acknowledge the intake message it stores.
-- See docs/redis.md.
--
-- KEYS[1] contact   hash    v = version, p = profile JSON, h = id of the last history entry,
--                           u = the user id whose mapping to this contact is written
-- KEYS[2] session   string  session JSON
-- KEYS[3] history   list    entries "<entry id> <event JSON>", oldest first; a stream (field e =
--                           event JSON) when written before lists, still appended to when long
-- KEYS[4] due       zset    the bucket's timer index: contact id -> earliest timer (unix ms)
-- KEYS[5] seen      zset    inbound message ids committed, scored by commit time (unix ms)
-- KEYS[6] lease     string  the intake lease: the fencing token of the worker holding the contact
-- KEYS[7] contacts  set     the bucket's contact index
-- KEYS[8] inbox     list    the contact's queued inbound messages, oldest first
-- KEYS[9] queued    string  the bucket's count of queued messages
-- KEYS[10] outbox   list    the contact's committed replies not yet sent: entries
--                           "<history entry id> <queued at, unix ms> <chat.Outbound JSON>"
-- KEYS[11] outq     zset    the bucket's outbox index: contact id -> when to send next (unix ms)
-- KEYS[12] olease   string  the outbox lease: the fencing token of the sender holding it
-- KEYS[13] ostate   hash    the first outbox entry's attempts: i entry id, s started, a answered
-- KEYS[14] ready    zset    the bucket's ready index: contacts with a non-empty inbox
--
-- ARGV[1]  version the caller loaded
-- ARGV[2]  profile JSON
-- ARGV[3]  session JSON, '' deletes the session
-- ARGV[4]  session TTL in ms, '0' for none
-- ARGV[5]  contact id (member of the timer and contact indexes)
-- ARGV[6]  earliest timer in unix ms, '' removes the contact from the timer index
-- ARGV[7]  trim the history below this entry id (unix ms), '' keeps it all
-- ARGV[8]  now, unix ms (the score of newly seen message ids)
-- ARGV[9]  dedupe horizon, unix ms: ids seen at or after it are duplicates, older ones are
--          forgotten; '' turns deduplication off
-- ARGV[10] dedupe period in ms (the TTL of the seen set)
-- ARGV[11] fencing token the caller holds, '' when it holds none
-- ARGV[12] the profile's user id, '' for none
-- ARGV[13] the intake message this commit stores, as the inbox holds it, to acknowledge;
--          '' for none (only with a fencing token)
-- ARGV[14] the lease in ms, renewed by an acknowledgement
-- ARGV[15] outbox token: when the commit queues replies, the contact's outbox is due and
--          its lease is free, the caller takes the lease with this token; '' never takes it
-- ARGV[16] the outbox lease in ms
-- ARGV[17] '1': an acknowledgement that finds the inbox empty also releases the contact
--          (deletes the lease, takes the contact out of the ready index); '' keeps the lease
-- ARGV[18] n, the number of inbound message ids that follow
-- ARGV[19] .. ARGV[18+n] inbound message ids
-- then triples of event time (unix ms, >= 0), event JSON and the chat.Outbound JSON to
-- send ('' for an event that sends nothing), oldest first
--
-- Returns
--   {1, new version, map, head, started, answered, ack[, next]}
--                                       committed; map is 1 when the user id mapping must be
--                                       written; head is the first outbox entry when the
--                                       caller took the outbox lease ('' otherwise), with its
--                                       attempts before this one (started, answered)
--   {0, stored version}                 the stored version is not ARGV[1]
--   {2, message id, ack[, next]}        the message id was committed within the dedupe period
--   {3}                                 ARGV[11] is not the lease's token: another worker holds
--                                       the contact
-- ack is 1 when ARGV[13] was acknowledged: taken out of the inbox if it is still first there
-- (a retry may find it gone), and the lease renewed; next is then the message now first in
-- the inbox, absent when the inbox is empty. ack is 2 when it was acknowledged, the inbox is
-- empty and ARGV[17] asked for the release: the lease is gone and the contact is no longer
-- ready, so a message pushed after this script finds the contact free. A refused duplicate is acknowledged too; a
-- conflict and a fenced commit are not.
-- Every check comes before the first write: a script that fails half-way keeps the writes it
-- made, and a refused commit writes nothing.

-- ack acknowledges ARGV[13] and appends the answer (ack[, next]) to reply. The fence check
-- has passed: the lease holds ARGV[11].
local function ack(reply)
  if ARGV[13] == '' or ARGV[11] == '' then
    reply[#reply + 1] = 0
    return reply
  end
  if redis.call('LINDEX', KEYS[8], 0) == ARGV[13] then
    redis.call('LPOP', KEYS[8])
    redis.call('DECR', KEYS[9])
  end
  local head = redis.call('LINDEX', KEYS[8], 0)
  if not head and ARGV[17] == '1' then
    redis.call('DEL', KEYS[6])
    redis.call('ZREM', KEYS[14], ARGV[5])
    reply[#reply + 1] = 2
    return reply
  end
  redis.call('PEXPIRE', KEYS[6], ARGV[14])
  reply[#reply + 1] = 1
  if head then
    reply[#reply + 1] = head
  end
  return reply
end

if ARGV[11] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[11] then
  return {3}
end

local n = tonumber(ARGV[18])
local dedupe = ARGV[9] ~= ''
if dedupe then
  local horizon = tonumber(ARGV[9])
  for i = 19, 18 + n do
    local at = redis.call('ZSCORE', KEYS[5], ARGV[i])
    if at and tonumber(at) >= horizon then
      return ack({2, ARGV[i]})
    end
  end
end

local stored = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if stored ~= tonumber(ARGV[1]) then
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
if #ARGV >= first then
  local last = redis.call('HGET', KEYS[1], 'h')
  local lastMs, lastMsText, seq = 0, '0', 0
  if last then
    local dash = string.find(last, '-', 1, true)
    lastMsText = string.sub(last, 1, dash - 1)
    lastMs = tonumber(lastMsText)
    seq = tonumber(string.sub(last, dash + 1))
  end
  local id
  for i = first, #ARGV, 3 do
    local ms = tonumber(ARGV[i])
    if ms > lastMs then
      lastMs, lastMsText, seq = ms, ARGV[i], 0
    else
      seq = seq + 1
    end
    id = lastMsText .. '-' .. seq
    if stream then
      redis.call('XADD', KEYS[3], id, 'e', ARGV[i + 1])
    else
      redis.call('RPUSH', KEYS[3], id .. ' ' .. ARGV[i + 1])
    end
    if ARGV[i + 2] ~= '' then
      redis.call('RPUSH', KEYS[10], id .. ' ' .. ARGV[8] .. ' ' .. ARGV[i + 2])
      queued = queued + 1
    end
  end
  redis.call('HSET', KEYS[1], 'h', id)
end

local version = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'p', ARGV[2])
redis.call('SADD', KEYS[7], ARGV[5])

if ARGV[3] == '' then
  redis.call('DEL', KEYS[2])
elseif ARGV[4] == '0' then
  redis.call('SET', KEYS[2], ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end

if ARGV[6] == '' then
  redis.call('ZREM', KEYS[4], ARGV[5])
else
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[5])
end

if ARGV[7] ~= '' then
  if stream then
    redis.call('XTRIM', KEYS[3], 'MINID', ARGV[7])
  else
    local below = tonumber(ARGV[7])
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
    redis.call('ZADD', KEYS[5], ARGV[8], ARGV[i])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[9])
  redis.call('PEXPIRE', KEYS[5], ARGV[10])
end

-- The user id mapping lives in the user id's bucket, another slot on a cluster, so the
-- store writes it after this script; u records that it did.
local map = 0
if ARGV[12] ~= '' and redis.call('HGET', KEYS[1], 'u') ~= ARGV[12] then
  map = 1
end

-- The replies wait in the outbox for a sender. When none holds it and it is due (not
-- backing off from a failed attempt), the caller takes it and sends at once.
local head, started, answered = '', 0, 0
if queued > 0 then
  redis.call('ZADD', KEYS[11], 'NX', ARGV[8], ARGV[5])
  local due = tonumber(redis.call('ZSCORE', KEYS[11], ARGV[5]))
  if ARGV[15] ~= '' and due <= tonumber(ARGV[8]) and redis.call('SET', KEYS[12], ARGV[15], 'NX', 'PX', ARGV[16]) then
    head = redis.call('LINDEX', KEYS[10], 0)
    local id = string.sub(head, 1, string.find(head, ' ', 1, true) - 1)
    local st = redis.call('HMGET', KEYS[13], 'i', 's', 'a')
    if st[1] == id then
      started, answered = tonumber(st[2] or '0'), tonumber(st[3] or '0')
    end
    redis.call('HSET', KEYS[13], 'i', id, 's', started + 1, 'a', answered)
  end
end

return ack({1, version, map, head, started, answered})
