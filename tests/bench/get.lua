-- wrk script: plain GETs (tests/bench/run.sh uses it for /healthz), reporting
-- the same one machine-readable line as post.lua.
function done(summary, latency, requests)
    io.write(string.format("BENCH requests=%d seconds=%.3f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50),
        latency:percentile(99), summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout))
end
