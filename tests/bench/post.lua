-- wrk script: POST a canned Alexa IntentRequest (ThankYouIntent) as JSON:
-- request.lua, beside this file, says which (BENCH_BODY, BENCH_HEADERS).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "request.lua")

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
