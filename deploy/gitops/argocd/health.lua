-- Argo CD health of an inference.enis.io resource (all five kinds), from the conditions the
-- operator writes (docs/operator.md, "Status"). Plain Lua 5.1, as Argo CD runs it.
local hs = { status = "Progressing", message = "Waiting for the operator to reconcile it." }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local ready, progressing, degraded
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    ready = c
  elseif c.type == "Progressing" then
    progressing = c
  elseif c.type == "Degraded" then
    degraded = c
  end
end
if ready == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and (ready.observedGeneration == nil or ready.observedGeneration < generation) then
  hs.message = "Waiting for the operator to observe generation " .. generation .. "."
  return hs
end
local function describe(c)
  return (c.reason or "") .. ": " .. (c.message or "")
end
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded)
  return hs
end
if progressing ~= nil and progressing.status == "True" then
  hs.message = describe(progressing)
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
-- Not ready yet, but on its way: the contract is being rendered or the replicas start.
local pending = { RenderPending = true, ReplicasNotReady = true, Creating = true, RollingOut = true }
if ready.status == "Unknown" or pending[ready.reason] then
  hs.message = describe(ready)
  return hs
end
if ready.reason == "Disabled" or ready.reason == "McpDisabled" then
  hs.status = "Suspended"
  hs.message = describe(ready)
  return hs
end
hs.status = "Degraded"
hs.message = describe(ready)
return hs
