/**
 * The budget guard's two Redis scripts: one round trip before the upstream call, one after.
 * Every key of one tenant carries the tenant in braces (one cluster slot). Amounts are integers
 * (nano-USD, tokens); a limit of -1 is no limit. A hold is subtracted as `0 - n`, never `-n`:
 * Lua's `-0` reaches Redis as "-0", which HINCRBY refuses, so a hold of no cost (an unpriced
 * model) could be neither settled nor released.
 */

/**
 * KEYS: spend hash, request record, rolling-minute zset, streams zset, leases zset.
 * ARGV: now, request id, cost limit, token limit, requests-per-minute limit, streams limit,
 * estimated cost, estimated tokens, stream (1/0), lease ms, period end (ms), retention ms,
 * record key prefix, admit over the cost and token limits (1/0: Degrade).
 * Returns {kind, limit, retryAfterS, repeat, cost, tokens, requests, streams, requestsResetAt,
 * degraded} or {'in-progress'}.
 */
export const RESERVE = `
local spendKey, recordKey, minuteKey, streamsKey, leasesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, id = tonumber(ARGV[1]), ARGV[2]
local limitCost, limitTokens, limitRequests, limitStreams =
  tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local estimateCost, estimateTokens = tonumber(ARGV[7]), tonumber(ARGV[8])
local stream, leaseMs, periodEnd, retentionMs = ARGV[9] == '1', tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local recordPrefix, overLimit = ARGV[13], ARGV[14] == '1'

-- Reservations whose lease ran out (their process died) are released, a few per call.
for _, other in ipairs(redis.call('ZRANGEBYSCORE', leasesKey, '-inf', now, 'LIMIT', 0, 64)) do
  local otherKey = recordPrefix .. other
  local held = redis.call('HMGET', otherKey, 'state', 'spend', 'cost', 'tokens')
  if held[1] == 'held' then
    redis.call('HINCRBY', held[2], 'held_cost', 0 - tonumber(held[3]))
    redis.call('HINCRBY', held[2], 'held_tokens', 0 - tonumber(held[4]))
    redis.call('HSET', otherKey, 'state', 'released')
  end
  redis.call('ZREM', leasesKey, other)
  redis.call('ZREM', streamsKey, other)
end
redis.call('ZREMRANGEBYSCORE', minuteKey, '-inf', now - 60000)

local spend = redis.call('HMGET', spendKey, 'cost', 'tokens', 'held_cost', 'held_tokens')
local cost = (tonumber(spend[1]) or 0) + (tonumber(spend[3]) or 0)
local tokens = (tonumber(spend[2]) or 0) + (tonumber(spend[4]) or 0)
local requests = redis.call('ZCARD', minuteKey)
local streams = redis.call('ZCARD', streamsKey)
local oldest = redis.call('ZRANGE', minuteKey, 0, 0, 'WITHSCORES')
local resetAt = 0
if oldest[2] then resetAt = tonumber(oldest[2]) + 60000 end
local function reply(kind, limit, retry, isRepeat, degraded)
  return {kind, limit or '', retry or 0, isRepeat and 1 or 0, cost, tokens, requests, streams, resetAt, degraded or ''}
end

local state = redis.call('HGET', recordKey, 'state')
if state == 'held' then return {'in-progress'} end
if state == 'refused' then
  local refusal = redis.call('HMGET', recordKey, 'limit', 'retry')
  return reply('refused', refusal[1], tonumber(refusal[2]), true)
end
if state then return reply('admitted', nil, nil, true) end

local function refuse(limit, retryMs)
  local retry = math.max(1, math.ceil(retryMs / 1000))
  redis.call('HSET', recordKey, 'state', 'refused', 'limit', limit, 'retry', retry)
  redis.call('PEXPIRE', recordKey, retry * 1000)
  return reply('refused', limit, retry, false)
end
if stream and limitStreams >= 0 and streams >= limitStreams then
  local soonest = redis.call('ZRANGE', streamsKey, 0, 0, 'WITHSCORES')
  return refuse('streams', (tonumber(soonest[2]) or (now + 1000)) - now)
end
if limitRequests >= 0 and requests >= limitRequests then return refuse('requests', resetAt - now) end
local degraded = ''
if limitCost >= 0 and cost + estimateCost > limitCost then
  if not overLimit then return refuse('cost', periodEnd - now) end
  degraded = 'cost'
elseif limitTokens >= 0 and tokens + estimateTokens > limitTokens then
  if not overLimit then return refuse('tokens', periodEnd - now) end
  degraded = 'tokens'
end

redis.call('HINCRBY', spendKey, 'held_cost', estimateCost)
redis.call('HINCRBY', spendKey, 'held_tokens', estimateTokens)
redis.call('PEXPIREAT', spendKey, periodEnd + retentionMs)
redis.call('ZADD', minuteKey, now, id)
redis.call('PEXPIRE', minuteKey, 60000)
if stream then redis.call('ZADD', streamsKey, now + leaseMs, id) end
redis.call('ZADD', leasesKey, now + leaseMs, id)
redis.call('HSET', recordKey, 'state', 'held', 'spend', spendKey, 'cost', estimateCost, 'tokens', estimateTokens)
redis.call('PEXPIREAT', recordKey, periodEnd + retentionMs)
cost, tokens, requests = cost + estimateCost, tokens + estimateTokens, requests + 1
if stream then streams = streams + 1 end
return reply('admitted', nil, nil, false, degraded)
`;

/**
 * KEYS: request record, leases zset, streams zset, spend hash of the reservation's period.
 * ARGV: cost, tokens, request id, when the record expires (epoch ms), the pricing checksum.
 * Returns 1 when it charged, 0 when the request was settled already. A record that is gone
 * (lost with a Redis restart that kept the spend but not it) is charged, and then remembered.
 */
export const SETTLE = `
local record = redis.call('HMGET', KEYS[1], 'state', 'spend', 'cost', 'tokens')
if record[1] == 'settled' or record[1] == 'refused' then return 0 end
if record[1] == 'held' then
  redis.call('HINCRBY', record[2], 'held_cost', 0 - tonumber(record[3]))
  redis.call('HINCRBY', record[2], 'held_tokens', 0 - tonumber(record[4]))
end
redis.call('HINCRBY', KEYS[4], 'cost', ARGV[1])
redis.call('HINCRBY', KEYS[4], 'tokens', ARGV[2])
redis.call('PEXPIREAT', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[1], 'state', 'settled', 'charged', ARGV[1], 'pricing', ARGV[5])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
return 1
`;
