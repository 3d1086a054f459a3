-- wrk script: POST a canned Alexa IntentRequest (ThankYouIntent) as JSON.
-- The body file comes from BENCH_BODY (default: the thank_you fixture); paths
-- are relative to the directory wrk runs in (tests/bench/run.sh: the source root).
local path = os.getenv("BENCH_BODY") or "tests/fixtures/requests/intent_thank_you.json"
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json; charset=utf-8"

-- BENCH_HEADERS names a file of "Name: value" lines to send as well: the
-- signature headers from `skillserver sign` for the verification case.
local hpath = os.getenv("BENCH_HEADERS")
if hpath and hpath ~= "" then
    for line in io.lines(hpath) do
        local k, v = line:match("^([^:]+): (.*)$")
        if k then wrk.headers[k] = v end
    end
end

-- One machine-readable line, so run.sh needs no guessing at wrk's text:
-- requests, seconds, p50 and p99 in microseconds, and the answers that were
-- not 2xx (a fast stream of errors must not pass for speed).
function done(summary, latency, requests)
    io.write(string.format("BENCH requests=%d seconds=%.3f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50),
        latency:percentile(99), summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout))
end
