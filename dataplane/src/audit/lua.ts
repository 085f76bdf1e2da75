/**
 * The audit store's Redis scripts. Every key of one tenant's chain carries the tenant in braces
 * (one cluster slot, the budget keys' slot too).
 */

/**
 * KEYS: head hash, entries list, time index zset, intents hash, leases zset, checkpoints zset.
 * ARGV: expected seq, expected hash, new head hash, entry count n, then n × (entry line, written
 * at (ms), request id or '', intent mode 'settle' | 'claim' | ''), then the checkpoint count m
 * and m × (seq, line). The time index's members are sequence numbers padded to 15 digits, so
 * that members of one score sort as numbers; its scores never go down along the chain (an entry
 * queued before the head's but appended after it is indexed at the head's time, the head hash's
 * `at`), so that the first and last entry of a time range are its lowest and highest seq.
 * Returns {'ok'}, {'conflict', seq, hash, first} or {'gone', request ids...}.
 */
export const APPEND = `
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash', 'first', 'at')
local seq = tonumber(head[1]) or 0
local hash = head[2] or string.rep('0', 64)
local first = tonumber(head[3]) or 1
local latest = tonumber(head[4]) or 0
if seq ~= tonumber(ARGV[1]) or hash ~= ARGV[2] then
  return {'conflict', seq, hash, first}
end
local n = tonumber(ARGV[4])
local gone = {}
for i = 0, n - 1 do
  local id, mode = ARGV[7 + i * 4], ARGV[8 + i * 4]
  if mode == 'claim' and redis.call('HEXISTS', KEYS[4], id) == 0 then table.insert(gone, id) end
end
if #gone > 0 then return {'gone', unpack(gone)} end
for i = 0, n - 1 do
  local line, at, id = ARGV[5 + i * 4], ARGV[6 + i * 4], ARGV[7 + i * 4]
  redis.call('RPUSH', KEYS[2], line)
  latest = math.max(latest, tonumber(at))
  redis.call('ZADD', KEYS[3], latest, string.format('%015d', seq + i + 1))
  if id ~= '' then
    redis.call('HDEL', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
  end
end
redis.call('HSET', KEYS[1], 'seq', seq + n, 'hash', ARGV[3], 'first', first, 'at', latest)
local points = 5 + n * 4
for j = 0, tonumber(ARGV[points]) - 1 do
  redis.call('ZADD', KEYS[6], ARGV[points + 1 + j * 2], ARGV[points + 2 + j * 2])
end
return {'ok'}
`;

/**
 * KEYS: head hash, entries list, time index zset, checkpoints zset.
 * ARGV: the last sequence number to remove, the anchor checkpoint's line (a checkpoint over it),
 * the retention cutoff (ms): time index entries written before it go too (an entry after the
 * cutoff but at or before `through`, from a replica's skewed clock, is clamped by readers).
 */
export const TRIM = `
local head = redis.call('HMGET', KEYS[1], 'seq', 'first')
local seq, first = tonumber(head[1]) or 0, tonumber(head[2]) or 1
local through = math.min(tonumber(ARGV[1]), seq)
if through < first then return 0 end
redis.call('LTRIM', KEYS[2], through - first + 1, -1)
redis.call('HSET', KEYS[1], 'first', through + 1)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. through)
redis.call('ZREMRANGEBYSCORE', KEYS[4], through, through)
redis.call('ZADD', KEYS[4], through, ARGV[2])
return through - first + 1
`;

/** KEYS: intents hash, leases zset. ARGV: request id, the intent's JSON, when its lease ends (ms). */
export const INTEND = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;
