/**
 * The shared token bucket, run atomically in Redis (one EVALSHA per decision), on the server's clock so
 * every gateway node agrees on the refill whatever its own clock says. The bucket is a hash of the tokens
 * left and the time (ms) they were counted at; it expires once it would be full again, so idle clients
 * cost nothing. A new bucket starts full, as the node-local buckets do.
 *
 * KEYS[1] the bucket; ARGV[1] capacity; ARGV[2] tokens per ms. Returns 1 (admitted) or 0.
 */
export const TAKE_TOKEN_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
if now > at then tokens = math.min(capacity, tokens + (now - at) * per_ms) end
local admitted = 0
if tokens >= 1 then
  tokens = tokens - 1
  admitted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / per_ms) + 1000)
return admitted
`;
