-- wrk script of `make bench` (scripts/bench): sends the signed-in session cookie or the API token given in the
-- environment, asks for compressed responses as a browser does, and prints the results as one JSON line.
local cookie = os.getenv("BENCH_COOKIE")
local authorization = os.getenv("BENCH_AUTHORIZATION")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.0f, "p95_us": %.0f, ' ..
    '"p99_us": %.0f, "mean_us": %.1f, "max_us": %.0f, "bad_status": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
