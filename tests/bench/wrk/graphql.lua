-- POSTs one GraphQL document for tests/bench/bench_api.py and counts GraphQL errors.
--
--   wrk -t THREADS ... -s graphql.lua URL -- TOKENS_FILE BODY_FILE THREADS [IDS_FILE]
--
-- TOKENS_FILE holds API tokens, one a line, one per caller: they are split between wrk's
-- threads, and each thread's requests take its tokens in turn, so that as many callers as
-- there are connections have a request in flight at once (wrk cannot tie a token to a
-- connection). BODY_FILE holds the JSON body; with IDS_FILE (one id a line) each request substitutes
-- the next unused id for `@ID@` in the body, the ids split between wrk's threads, and a
-- thread stops when its share is used up (each id, e.g. a pending request, serves once).
-- An answer counts as an error when its status is not 200 or its body has `"errors"`.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function read_all(path)
   local file = assert(io.open(path, "rb"))
   local text = file:read("*a")
   file:close()
   return text
end

-- The lines of `path` whose position, modulo `threads`, is `mine`.
local function share_of(path, threads, mine)
   local share, position = {}, 0
   for line in io.lines(path) do
      if line ~= "" and position % threads == mine then
         table.insert(share, line)
      end
      position = position + 1
   end
   return share
end

function init(args)
   errors = 0
   template = read_all(args[2])
   local threads = tonumber(args[3])
   tokens, next_token = {}, 1
   if template ~= "" then  -- an empty body file: a plain GET (the bare /healthz)
      wrk.method = "POST"
      wrk.headers["Content-Type"] = "application/json"
      wrk.body = template
      tokens = share_of(args[1], threads, index)
      if #tokens == 0 then  -- fewer tokens than threads: use the first thread's
         tokens = share_of(args[1], threads, 0)
      end
   end
   ids = nil
   if args[4] then
      ids, next_id = share_of(args[4], threads, index), 1
   end
end

function request()
   local body = nil
   if ids ~= nil then
      if next_id > #ids then
         wrk.thread:stop()
      end
      body = template:gsub("@ID@", ids[math.min(next_id, #ids)] or "none")
      next_id = next_id + 1
   end
   if #tokens == 0 then
      return wrk.format(nil, nil, nil, body)
   end
   wrk.headers["Authorization"] = "Bearer " .. tokens[next_token]
   next_token = next_token % #tokens + 1
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status == 200 and body:find('"errors"', 1, true) then
      errors = errors + 1
   end
end

function done(summary, latency, requests)
   local graphql_errors = 0
   for _, thread in ipairs(threads) do
      graphql_errors = graphql_errors + thread:get("errors")
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f p50_us=%d p99_us=%d errors=%d\n",
      summary.requests, summary.duration / 1e6,
      latency:percentile(50), latency:percentile(99),
      graphql_errors + e.status + e.connect + e.read + e.write + e.timeout))
end
