-- wrk script for tests/bench/compare.py: POST one Alexa request and check
-- every answer, so that a fast stream of errors or wrong answers can never
-- pass for speed.
--
--   BENCH_BODY     the request body file (required)
--   BENCH_HEADERS  a file of "Name: value" lines sent as well (the signature
--                  headers from `skillserver sign`), optional
--   BENCH_EXPECT   text every answer's body must contain (required)
--   BENCH_CLOSE    "1": send "Connection: close", so that every request
--                  opens a new connection (and, over TLS, a new handshake)
--
-- At the end it prints one line:
-- BENCH requests=N seconds=S p50_us=U p99_us=U responses=N bad_status=N
--       bad_body=N errors=N
-- bad_status counts answers that were not 200, bad_body answers with status
-- 200 whose body lacks BENCH_EXPECT, errors wrk's socket errors.
assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set")
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "request.lua")
if os.getenv("BENCH_CLOSE") == "1" then
    wrk.headers["Connection"] = "close"
end

expect = assert(os.getenv("BENCH_EXPECT"), "BENCH_EXPECT is not set")

-- Each wrk thread runs this script in its own Lua state: the counters are
-- per thread, and done() adds them up through the thread objects.
local threads = {}
function setup(thread)
    table.insert(threads, thread)
end

responses = 0
bad_status = 0
bad_body = 0
function response(status, headers, body)
    responses = responses + 1
    if status ~= 200 then
        bad_status = bad_status + 1
    elseif not body or not string.find(body, expect, 1, true) then
        bad_body = bad_body + 1
    end
end

function done(summary, latency, requests)
    local n, s, b = 0, 0, 0
    for _, t in ipairs(threads) do
        n = n + t:get("responses")
        s = s + t:get("bad_status")
        b = b + t:get("bad_body")
    end
    io.write(string.format(
        "BENCH requests=%d seconds=%.3f p50_us=%d p99_us=%d responses=%d bad_status=%d bad_body=%d errors=%d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50),
        latency:percentile(99), n, s, b,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout))
end
