-- bench/wrk/bench.lua: the one wrk script behind every workload of bench/run.sh.
--
-- Configured through the environment (wrk passes no options to scripts except after "--"):
--   BENCH_TOKEN          bearer token; sent as "Authorization: Bearer …" when set
--   BENCH_MODE           "get" (default: the same request over and over, built once by wrk)
--                        or "put" (PUT of a 1,024-byte JSON document over BENCH_KEYS keys)
--   BENCH_EXPECT         statuses that count as success, comma-separated (default "200");
--                        anything else is counted as "unexpected" and fails the workload
--   BENCH_CHECK          "0" to skip the per-response status check (wrk then has no response()
--                        hook and does not copy bodies into Lua; only statuses >= 400 are
--                        counted, by wrk itself). Used for the 10,000-item listing, whose 1 MB
--                        bodies would otherwise be copied into Lua on every response.
--   BENCH_IF_NONE_MATCH  sent as If-None-Match (an ETag fetched beforehand, quotes included)
--   BENCH_KEYS           number of distinct keys for "put" (default 1000)
--   BENCH_THREADS        wrk's -t, so that the threads' key sequences interleave (default 2)
--
-- done() prints one machine-readable line:
--   RESULT requests=… duration_s=… rps=… p50_ms=… p99_ms=… max_ms=… connect=… read=… write=…
--          timeout=… status_ge400=… unexpected=… unexpected_status=…
-- wrk itself counts only statuses > 399 as errors ("Non-2xx or 3xx responses"): a 200 where a 304
-- is expected, or a 302 to a login page, would look like a fast success without the check here.

local token = os.getenv("BENCH_TOKEN") or ""
local mode = os.getenv("BENCH_MODE") or "get"
local check = os.getenv("BENCH_CHECK") ~= "0"
local if_none_match = os.getenv("BENCH_IF_NONE_MATCH") or ""
local keys = tonumber(os.getenv("BENCH_KEYS") or "1000")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")

local expected = {}
for s in string.gmatch(os.getenv("BENCH_EXPECT") or "200", "%d+") do
  expected[tonumber(s)] = true
end

if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if if_none_match ~= "" then
  wrk.headers["If-None-Match"] = if_none_match
end

-- Main state: one entry per thread, read back in done().
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Thread states.
unexpected = 0
unexpected_status = ""

if mode == "put" then
  -- A deterministic 1,024-byte JSON body: {"n":"xxx…"}.
  local body = '{"n":"' .. string.rep("x", 1024 - 8) .. '"}'
  assert(#body == 1024)
  wrk.method = "PUT"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  local prefix = wrk.path
  if string.sub(prefix, -1) ~= "/" then
    prefix = prefix .. "/"
  end
  local counter = 0
  function request()
    -- Thread i writes keys i, i+T, i+2T, … (mod BENCH_KEYS): the threads never collide on a key
    -- at the same moment unless a thread laps the others.
    local key = (id + counter * nthreads) % keys
    counter = counter + 1
    return wrk.format(nil, prefix .. "k" .. key)
  end
end

if check then
  function response(status, headers, body)
    if not expected[status] then
      unexpected = unexpected + 1
      unexpected_status = tostring(status)
    end
  end
end

function done(summary, latency, requests)
  local bad, bad_status = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("unexpected") or 0)
    local s = thread:get("unexpected_status")
    if s and s ~= "" then
      bad_status = s
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f connect=%d read=%d write=%d timeout=%d status_ge400=%d unexpected=%d unexpected_status=%s\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, e.status, bad, bad_status == "" and "-" or bad_status))
end
