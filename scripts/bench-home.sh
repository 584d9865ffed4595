#!/usr/bin/env bash
# GET /v1/profiles/{id}/home against the bare GET /hello of the same server, in the same run, with
# wrk at 64 connections (release build, demo world: 300 titles, 3,000 profiles). Installs wrk with
# apt-get when missing. Prints both request rates, p50/p99 latencies and the ratio.
# Usage: scripts/bench-home.sh [SECONDS]   (MARQUEE_LOG_LEVEL is passed through to the server;
# MARQUEE_SCRATCH picks the build directory, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
if ! command -v wrk >/dev/null; then
    (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) \
        || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
fi
# MARQUEE_SCRATCH: another build directory (so that a benchmark does not wait on a debug build's lock).
scratch="${MARQUEE_SCRATCH:-.build}"
swift build -c release --product marquee --scratch-path "$scratch" >/dev/null
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
"$scratch/release/marquee" demo --db "$work/demo.sqlite" --port "$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -sf "http://127.0.0.1:$port/hello" >/dev/null || { cat "$work/server.log"; exit 1; }
cat >"$work/home.lua" <<'LUA'
counter = 0
devices = {"tv", "mobile", "web", "tablet"}
times = {"2026-11-01T08:00:00-05:00", "2026-11-01T13:00:00-05:00", "2026-11-01T21:00:00-05:00", "2026-11-01T23:30:00-05:00"}
request = function()
  counter = counter + 1
  local path = string.format("/v1/profiles/p%04d/home?device=%s&at=%s", (counter * 7919) % 3000 + 1,
    devices[counter % 4 + 1], times[math.floor(counter / 4) % 4 + 1])
  return wrk.format("GET", path)
end
LUA
# Warm both paths, then measure each for the same time.
wrk -t1 -c16 -d3s "http://127.0.0.1:$port/hello" >/dev/null
wrk -t1 -c16 -d3s -s "$work/home.lua" "http://127.0.0.1:$port" >/dev/null
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$port/hello" >"$work/hello.txt"
wrk -t1 -c64 -d"${seconds}s" --latency -s "$work/home.lua" "http://127.0.0.1:$port" >"$work/home.txt"
python3 - "$work/hello.txt" "$work/home.txt" <<'PY'
import re, sys
def parse(path):
    text = open(path).read()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def ms(label):
        v, unit = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % label, text).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rate, ms("50"), ms("99"), int(errors.group(1)) if errors else 0
hello, home = parse(sys.argv[1]), parse(sys.argv[2])
print("%-8s %12s %10s %10s %8s" % ("route", "requests/s", "p50 ms", "p99 ms", "non-2xx"))
for name, r in (("/hello", hello), ("/home", home)):
    print("%-8s %12.0f %10.2f %10.2f %8d" % (name, r[0], r[1], r[2], r[3]))
ratio = home[0] / hello[0]
if home[3] or hello[3]:
    print("FAILED: non-2xx responses"); sys.exit(1)
print("home/hello rate: %.1f%% (target >= 25%%); home p99 %.2f ms (target <= 20 ms)" % (100 * ratio, home[2]))
PY
