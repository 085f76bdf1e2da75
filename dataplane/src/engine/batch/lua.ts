/**
 * The batch engine's state transitions, each one Lua script so it is atomic in Redis. Every
 * script takes ARGV[1] = key prefix, ARGV[2] = now (ms), ARGV[3] = retention (s), then its own
 * arguments. Keys are built inside the scripts from the prefix, so this needs a single Redis
 * (or a primary with replicas / Sentinel), not Redis Cluster.
 *
 * Keys under the prefix P (docs/batch.md):
 *   P task:<tenant>:<task_id>  hash  batch, hash                 idempotency record
 *   P b:<id>                   hash  tenant, task_id, status, total, next, done, failed,
 *                                    cancelled, dlq, model, format, created_at, finished_at
 *   P b:<id>:items             hash  index → item JSON
 *   P b:<id>:results           hash  index → result JSON (HSETNX: recorded once)
 *   P b:<id>:state             hash  e:<index> executions, f:<index> failures
 *   P b:<id>:requeue           list  re-driven indexes, dispatched before `next`
 *   P b:<id>:dlq               set   indexes of this batch in the DLQ
 *   P t:<tenant>               hash  queued, running, done, failed, cancelled, dlq
 *   P t:<tenant>:queue         list  the tenant's batches with undispatched items, FIFO
 *   P t:<tenant>:dlq           zset  the tenant's dead letters by time
 *   P ring / P ringset         list / set  tenants with undispatched items (round robin)
 *   P inflight                 zset  refs dispatched to the queue and not finished
 *   P dlq / P dlq:entries      zset / hash  every dead letter, by time / ref → entry JSON
 *   P tenants                  set   every tenant that ever submitted (metrics)
 */

const LIB = `
local P = ARGV[1]
local NOW = ARGV[2]
local RETENTION = tonumber(ARGV[3])
local function bkey(id) return P .. 'b:' .. id end
local function tkey(tenant) return P .. 't:' .. tenant end

local function ring_add(tenant)
  if redis.call('SADD', P .. 'ringset', tenant) == 1 then redis.call('RPUSH', P .. 'ring', tenant) end
end

local BATCH_SUFFIXES = {'', ':items', ':results', ':state', ':requeue', ':dlq'}

-- A batch whose items have all finished becomes completed (or cancelled), and with no dead
-- letters left it starts its retention, its idempotency record with it.
local function settle(id)
  local k = bkey(id)
  local m = redis.call('HMGET', k, 'total', 'done', 'failed', 'cancelled', 'status', 'dlq', 'tenant', 'task_id')
  if not m[1] then return end
  if tonumber(m[2]) + tonumber(m[3]) + tonumber(m[4]) < tonumber(m[1]) then return end
  if m[5] == 'in_progress' then
    redis.call('HSET', k, 'status', 'completed', 'finished_at', NOW)
  elseif m[5] == 'cancelling' then
    redis.call('HSET', k, 'status', 'cancelled', 'finished_at', NOW)
  end
  if tonumber(m[6]) == 0 then
    for _, suffix in ipairs(BATCH_SUFFIXES) do redis.call('EXPIRE', k .. suffix, RETENTION) end
    redis.call('EXPIRE', P .. 'task:' .. m[7] .. ':' .. m[8], RETENTION)
  end
end

-- Records an item's outcome once: false when it already has one. kind: done, failed, cancelled.
local function finish(id, index, kind, result)
  local k = bkey(id)
  if redis.call('HSETNX', k .. ':results', index, result) == 0 then return false end
  local t = tkey(redis.call('HGET', k, 'tenant'))
  redis.call('HINCRBY', k, kind, 1)
  redis.call('HINCRBY', t, 'queued', -1)
  redis.call('HINCRBY', t, kind, 1)
  if redis.call('ZREM', P .. 'inflight', id .. ':' .. index) == 1 then
    redis.call('HINCRBY', t, 'running', -1)
  end
  settle(id)
  return true
end

local function dlq_remove(ref, id, index, tenant)
  redis.call('ZREM', P .. 'dlq', ref)
  redis.call('HDEL', P .. 'dlq:entries', ref)
  if tenant then
    redis.call('ZREM', tkey(tenant) .. ':dlq', ref)
    redis.call('HINCRBY', tkey(tenant), 'dlq', -1)
  end
  if redis.call('SREM', bkey(id) .. ':dlq', index) == 1 then
    redis.call('HINCRBY', bkey(id), 'dlq', -1)
  end
end
`;

/**
 * ARGV[4..12] = tenant, task_id, batch id, payload hash, total, max queued, model, format,
 * agent type ('' for none).
 * The items were staged under the new batch id beforehand (with a TTL). Returns
 * [created|existing|conflict|limited|lost, batch id or queued count].
 */
export const SUBMIT = `${LIB}
local tenant, task, id, hash = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local total, max_queued = tonumber(ARGV[8]), tonumber(ARGV[9])
local task_key = P .. 'task:' .. tenant .. ':' .. task
local existing = redis.call('HMGET', task_key, 'batch', 'hash')
if existing[1] then
  if existing[2] == hash then return {'existing', existing[1]} end
  return {'conflict', existing[1]}
end
local k = bkey(id)
if redis.call('EXISTS', k .. ':items') == 0 then return {'lost', ''} end
local t = tkey(tenant)
local queued = tonumber(redis.call('HGET', t, 'queued') or '0')
if queued + total > max_queued then return {'limited', tostring(queued)} end
redis.call('HSET', task_key, 'batch', id, 'hash', hash)
redis.call('HSET', k, 'tenant', tenant, 'task_id', task, 'hash', hash, 'model', ARGV[10],
  'format', ARGV[11], 'total', total, 'next', 0, 'done', 0, 'failed', 0, 'cancelled', 0,
  'dlq', 0, 'status', 'in_progress', 'created_at', NOW, 'agent', ARGV[12])
redis.call('PERSIST', k .. ':items')
redis.call('HINCRBY', t, 'queued', total)
redis.call('RPUSH', t .. ':queue', id)
ring_add(tenant)
redis.call('SADD', P .. 'tenants', tenant)
return {'created', id}
`;

/**
 * ARGV[4..6] = max items, default running limit, JSON {tenant: running limit}. Takes up to
 * max items round robin over the tenants with undispatched items, one item per tenant per
 * turn, skipping tenants at their running limit; each taken item is counted running and listed
 * in flight before it is returned. Returns [tenant, ref, tenant, ref, ...].
 */
export const DISPATCH = `${LIB}
local max, default_limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local limits = cjson.decode(ARGV[6])
local ring = P .. 'ring'
local out = {}
local n = redis.call('LLEN', ring)
local idle = 0
while #out < 2 * max and n > 0 and idle < n do
  -- Rotate: the head tenant takes its turn and goes to the tail.
  local tenant = redis.call('LPOP', ring)
  redis.call('RPUSH', ring, tenant)
  local t = tkey(tenant)
  local running = tonumber(redis.call('HGET', t, 'running') or '0')
  if running >= (tonumber(limits[tenant]) or default_limit) then
    idle = idle + 1
  else
    local ref = nil
    while ref == nil do
      local id = redis.call('LINDEX', t .. ':queue', 0)
      if not id then break end
      local k = bkey(id)
      local m = redis.call('HMGET', k, 'status', 'next', 'total')
      if m[1] == 'in_progress' then
        local index = redis.call('LPOP', k .. ':requeue')
        if not index and tonumber(m[2]) < tonumber(m[3]) then
          index = m[2]
          redis.call('HINCRBY', k, 'next', 1)
        end
        if index then ref = id .. ':' .. index end
      end
      if ref == nil then redis.call('LPOP', t .. ':queue') end
    end
    if ref == nil then
      redis.call('LREM', ring, -1, tenant)
      redis.call('SREM', P .. 'ringset', tenant)
      n = n - 1
    else
      redis.call('HINCRBY', t, 'running', 1)
      redis.call('ZADD', P .. 'inflight', NOW, ref)
      out[#out + 1] = tenant
      out[#out + 1] = ref
      idle = 0
    end
  end
end
return out
`;

/**
 * ARGV[4..6] = batch id, index, cancelled-result JSON. A delivery runs only while its item is
 * in flight without a result: anything else is a stale or duplicate delivery. An item of a
 * cancelling batch is recorded cancelled instead. Returns [skip] | [cancelled] |
 * [run, item JSON, batch model, tenant, executions, format, task id].
 */
export const BEGIN = `${LIB}
local id, index = ARGV[4], ARGV[5]
local k = bkey(id)
if not redis.call('ZSCORE', P .. 'inflight', id .. ':' .. index) then return {'skip'} end
if redis.call('HEXISTS', k .. ':results', index) == 1 then return {'skip'} end
local m = redis.call('HMGET', k, 'status', 'model', 'tenant', 'format', 'task_id', 'agent')
if not m[1] then return {'skip'} end
if m[1] ~= 'in_progress' then
  finish(id, index, 'cancelled', ARGV[6])
  return {'cancelled'}
end
local executions = redis.call('HINCRBY', k .. ':state', 'e:' .. index, 1)
return {'run', redis.call('HGET', k .. ':items', index), m[2], m[3], tostring(executions), m[4], m[5],
  m[6] or ''}
`;

/** ARGV[4..5] = batch id, index: a delivery given back unfinished (graceful shutdown). */
export const RELEASE = `${LIB}
local field = 'e:' .. ARGV[5]
if tonumber(redis.call('HGET', bkey(ARGV[4]) .. ':state', field) or '0') > 0 then
  redis.call('HINCRBY', bkey(ARGV[4]) .. ':state', field, -1)
end
return 1
`;

/** ARGV[4..6] = batch id, index, result JSON. Returns 1 when recorded, 0 when it had one. */
export const COMPLETE = `${LIB}
if finish(ARGV[4], ARGV[5], 'done', ARGV[6]) then return 1 end
return 0
`;

/**
 * ARGV[4..9] = batch id, index, attempts, final (1|0), result JSON, dead-letter JSON. Counts a
 * failure; below `attempts` (and not final) it answers retry, else it records the failure and
 * dead-letters the item. Returns retry | dead | skip.
 */
export const FAIL = `${LIB}
local id, index = ARGV[4], ARGV[5]
local k = bkey(id)
local ref = id .. ':' .. index
if not redis.call('ZSCORE', P .. 'inflight', ref) then return 'skip' end
if redis.call('HEXISTS', k .. ':results', index) == 1 then return 'skip' end
local failures = redis.call('HINCRBY', k .. ':state', 'f:' .. index, 1)
if ARGV[7] ~= '1' and failures < tonumber(ARGV[6]) then return 'retry' end
local tenant = redis.call('HGET', k, 'tenant')
redis.call('ZADD', P .. 'dlq', NOW, ref)
redis.call('ZADD', tkey(tenant) .. ':dlq', NOW, ref)
redis.call('HSET', P .. 'dlq:entries', ref, ARGV[9])
redis.call('SADD', k .. ':dlq', index)
redis.call('HINCRBY', k, 'dlq', 1)
redis.call('HINCRBY', tkey(tenant), 'dlq', 1)
finish(id, index, 'failed', ARGV[8])
return 'dead'
`;

/**
 * ARGV[4..5] = batch id, tenant. Every undispatched item is cancelled at once (no per-item
 * work); in-flight items finish, or are recorded cancelled when a worker picks them up.
 * Returns the batch status afterwards, or `missing`.
 */
export const CANCEL = `${LIB}
local id, tenant = ARGV[4], ARGV[5]
local k = bkey(id)
local m = redis.call('HMGET', k, 'tenant', 'status', 'total', 'next')
if m[1] ~= tenant then return 'missing' end
if m[2] ~= 'in_progress' then return m[2] end
-- (0 - n, not -n: Lua's -0 would reach Redis as "-0", which is not an integer.)
local unstarted = tonumber(m[3]) - tonumber(m[4]) + redis.call('LLEN', k .. ':requeue')
local t = tkey(tenant)
redis.call('HSET', k, 'next', m[3], 'status', 'cancelling')
redis.call('DEL', k .. ':requeue')
redis.call('HINCRBY', k, 'cancelled', unstarted)
redis.call('HINCRBY', t, 'queued', 0 - unstarted)
redis.call('HINCRBY', t, 'cancelled', unstarted)
redis.call('LREM', t .. ':queue', 0, id)
settle(id)
return redis.call('HGET', k, 'status')
`;

/**
 * ARGV[4] = redrive|discard, ARGV[5..] = refs. Re-drive puts a dead letter back in front of its
 * tenant's queue with fresh attempts (its failure result is removed); discard leaves the item
 * failed and only removes it from the DLQ. Returns one of redriven|discarded|missing|cancelled
 * per ref.
 */
export const DEAD_LETTERS = `${LIB}
local out = {}
for i = 5, #ARGV do
  local ref = ARGV[i]
  local id, index = string.match(ref, '^(.+):(%d+)$')
  local k = id and bkey(id)
  local m = k and redis.call('HMGET', k, 'tenant', 'status') or {}
  if not id or redis.call('HEXISTS', P .. 'dlq:entries', ref) == 0 then
    out[#out + 1] = 'missing'
  elseif not m[1] then
    dlq_remove(ref, id, index, nil)
    out[#out + 1] = 'missing'
  elseif ARGV[4] == 'discard' then
    dlq_remove(ref, id, index, m[1])
    settle(id)
    out[#out + 1] = 'discarded'
  elseif m[2] == 'cancelling' or m[2] == 'cancelled' then
    out[#out + 1] = 'cancelled'
  else
    local t = tkey(m[1])
    dlq_remove(ref, id, index, m[1])
    redis.call('HDEL', k .. ':results', index)
    redis.call('HDEL', k .. ':state', 'e:' .. index, 'f:' .. index)
    redis.call('HINCRBY', k, 'failed', -1)
    redis.call('HINCRBY', t, 'queued', 1)
    redis.call('RPUSH', k .. ':requeue', index)
    redis.call('HSET', k, 'status', 'in_progress')
    redis.call('HDEL', k, 'finished_at')
    for _, suffix in ipairs(BATCH_SUFFIXES) do redis.call('PERSIST', k .. suffix) end
    redis.call('PERSIST', P .. 'task:' .. m[1] .. ':' .. redis.call('HGET', k, 'task_id'))
    if not redis.call('LPOS', t .. ':queue', id) then redis.call('LPUSH', t .. ':queue', id) end
    ring_add(m[1])
    out[#out + 1] = 'redriven'
  end
end
return out
`;
