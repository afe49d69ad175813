/**
 * The Lua side of KrakenD's Lua API, run once per VM. Objects (`request`, `response`, `ctx`, `luaTable`,
 * `luaList`) are handles on state kept in JavaScript, as krakend-lua keeps it in Go; every method goes
 * through one bridge function. It returns `run`, which executes one request's scripts in a fresh
 * environment (what a fresh Lua state per request is in KrakenD), so no global outlives a request.
 */
export const PRELUDE = String.raw`
local bridge = __swy_bridge
__swy_bridge = nil
local setmetatable, select, type, error, load, pcall, xpcall = setmetatable, select, type, error, load, pcall, xpcall
local tostring, pairs, rawget = tostring, pairs, rawget
local dump = string.dump

local classes = {}
local function wrap(v)
  if type(v) == 'table' and v.__kind then return setmetatable({ __h = v.h }, classes[v.__kind]) end
  return v
end
local function class(kind, methods)
  local index = {}
  for i = 1, #methods do
    local op = kind .. '.' .. methods[i]
    index[methods[i]] = function(self, ...)
      if type(self) ~= 'table' or rawget(self, '__h') == nil then error(kind .. ' expected', 2) end
      return wrap(bridge(op, self.__h, select('#', ...), ...))
    end
  end
  -- __metatable: a script cannot reach (and keep state in) what every request shares
  classes[kind] = { __index = index, __name = kind, __metatable = false }
end
class('request', { 'method', 'path', 'query', 'url', 'params', 'headers', 'headerList', 'body' })
class('response', { 'isComplete', 'statusCode', 'data', 'headers', 'headerList', 'body' })
class('ctx', { 'method', 'url', 'host', 'query', 'params', 'headers', 'headerList', 'body' })
class('luaTable', { 'get', 'set', 'len', 'del', 'keys', 'keyExists' })
class('luaList', { 'get', 'set', 'len', 'del' })

local function loader(kind) return { load = function() return wrap(bridge(kind .. '.load', 0, 0)) end } end
local function new(kind) return { new = function() return wrap(bridge(kind .. '.new', 0, 0)) end } end

-- A script's error that the budget raised must not be swallowed by the script's own pcall.
local function rethrow(ok, ...)
  if not ok and ((...) == 'not enough memory' or bridge('expired', 0, 0)) then error((...), 0) end
  return ok, ...
end
local guarded = {
  pcall = function(f, ...) return rethrow(pcall(f, ...)) end,
  xpcall = function(f, h, ...) return rethrow(xpcall(f, h, ...)) end,
}

local function custom_error(...)
  local n = select('#', ...)
  if n == 0 then error('need arguments', 2) end
  local msg, code, ct = ...
  if n == 1 then code = -1 end
  error('\1swy\1' .. tostring(math.tointeger(code) or code) .. '\1' .. (n > 2 and tostring(ct) or '') .. '\1' .. tostring(msg), 0)
end

local SAFE = { 'assert', 'error', 'ipairs', 'next', 'pairs', 'rawequal', 'rawget', 'rawlen', 'rawset', 'select',
  'setmetatable', 'getmetatable', 'tonumber', 'tostring', 'type', 'print', '_VERSION' }
local SAFE_LIBS = { 'string', 'table', 'math', 'utf8' }
local OPEN = { 'load', 'dofile', 'loadfile', 'require', 'collectgarbage', 'warn' }
local OPEN_LIBS = { 'io', 'os', 'package', 'coroutine' }
local G = _G

local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end

local function environment(open, level)
  local env = {}
  for _, k in pairs(SAFE) do env[k] = G[k] end
  for _, k in pairs(SAFE_LIBS) do env[k] = copy(G[k]) end
  if open then
    for _, k in pairs(OPEN) do env[k] = G[k] end
    for _, k in pairs(OPEN_LIBS) do env[k] = G[k] and copy(G[k]) end
    -- exiting would end the gateway, not the script
    env.os.exit = function() error('os.exit is not allowed', 2) end
  end
  env.pcall, env.xpcall = guarded.pcall, guarded.xpcall
  env.custom_error = custom_error
  env.luaTable, env.luaList, env.luaNil = new('luaTable'), new('luaList'), { new = function() return nil end }
  if level == 'router' then env.ctx = loader('ctx') else
    env.request = loader('request')
    env.response = loader('response')
  end
  env._G = env
  return env
end

-- The string metatable's __index is the shared string library: hidden, like the handles' metatables.
getmetatable('').__metatable = false

-- Compiled once per text (a live source that changed is compiled again), then loaded per request with its
-- own _ENV: a closure shares its chunk's _ENV upvalue, so one chunk re-pointed at each request's
-- environment would make functions an earlier request defined read a later request's globals.
local compiled, count = {}, 0
local function chunk(name, code, env)
  local bin = compiled[code]
  if not bin then
    local f, err = load(code, '=' .. name, 't')
    if not f then error(err, 0) end
    bin = dump(f)
    -- live sources may change without end: keep the texts seen lately, not all of them
    if count >= 32 then compiled, count = {}, 0 end
    compiled[code], count = bin, count + 1
  end
  return load(bin, '=' .. name, 'b', env)
end

local envs = {}
-- 'pre' starts request id (its sources, then pre, in a new environment), kept for its post when keep;
-- 'post' continues it in the same environment (a new one if it was lost); 'drop' forgets it (a request
-- that ends without post).
return function(id, phase, open, level, sources, code, keep)
  if phase == 'drop' then envs[id] = nil return end
  local env = envs[id]
  if phase == 'pre' or not env then
    env = environment(open, level)
    envs[id] = env
    if sources ~= '' then chunk('sources', sources, env)() end
  end
  if phase == 'post' or not keep then envs[id] = nil end
  if code ~= '' then chunk(phase, code, env)() end
end
`;
