-- The request both wrk scripts send (post.lua, check.lua): a POST of the
-- JSON body in the file BENCH_BODY (default: the thank_you fixture, relative
-- to the directory wrk runs in), with the "Name: value" lines of the file
-- BENCH_HEADERS as headers too (the signature headers from `skillserver
-- sign`, for the verification cases).
local path = os.getenv("BENCH_BODY") or "tests/fixtures/requests/intent_thank_you.json"
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json; charset=utf-8"

local hpath = os.getenv("BENCH_HEADERS")
if hpath and hpath ~= "" then
    for line in io.lines(hpath) do
        local k, v = line:match("^([^:]+): (.*)$")
        if k then wrk.headers[k] = v end
    end
end
