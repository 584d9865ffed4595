#!/usr/bin/env bash
# POST /v1/ads/decision against the bare GET /hello of the same server, in the same run, with wrk at
# 64 connections (release build, demo world: 300 titles, 3,000 profiles, 20 campaigns). Installs wrk
# with apt-get when missing. Prints both request rates, p50/p99 latencies and the ratio.
# Usage: scripts/bench-ads.sh [SECONDS]   (MARQUEE_LOG_LEVEL is passed through to the server;
# MARQUEE_SCRATCH picks the build directory, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
if ! command -v wrk >/dev/null; then
    (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) \
        || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
fi
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
cat >"$work/ads.lua" <<'LUA'
counter = 0
devices = {"tv", "mobile", "web", "tablet"}
times = {"2026-11-20T08:00:00-05:00", "2026-11-20T13:00:00-05:00", "2026-11-20T21:00:00-05:00", "2026-11-20T23:30:00-05:00"}
kinds = {"pre-roll", "mid-roll"}
request = function()
  counter = counter + 1
  local body = string.format(
    '{"profileId":"p%04d","titleId":"t%04d","breakKind":"%s","device":"%s","localTime":"%s","sessionId":"bench-%d","maxPodSeconds":%d}',
    (counter * 7919) % 3000 + 1, (counter * 104729) % 300 + 1, kinds[counter % 2 + 1], devices[counter % 4 + 1],
    times[math.floor(counter / 4) % 4 + 1], math.floor(counter / 6), 30 + 30 * (counter % 4))
  return wrk.format("POST", "/v1/ads/decision", {["Content-Type"] = "application/json"}, body)
end
LUA
# Warm both paths, then measure each for the same time.
wrk -t1 -c16 -d3s "http://127.0.0.1:$port/hello" >/dev/null
wrk -t1 -c16 -d3s -s "$work/ads.lua" "http://127.0.0.1:$port" >/dev/null
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$port/hello" >"$work/hello.txt"
wrk -t1 -c64 -d"${seconds}s" --latency -s "$work/ads.lua" "http://127.0.0.1:$port" >"$work/ads.txt"
python3 - "$work/hello.txt" "$work/ads.txt" <<'PY'
import re, sys
def parse(path):
    text = open(path).read()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def ms(label):
        v, unit = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % label, text).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rate, ms("50"), ms("99"), int(errors.group(1)) if errors else 0
hello, ads = parse(sys.argv[1]), parse(sys.argv[2])
print("%-10s %12s %10s %10s %8s" % ("route", "requests/s", "p50 ms", "p99 ms", "non-2xx"))
for name, r in (("/hello", hello), ("/decision", ads)):
    print("%-10s %12.0f %10.2f %10.2f %8d" % (name, r[0], r[1], r[2], r[3]))
ratio = ads[0] / hello[0]
if ads[3] or hello[3]:
    print("FAILED: non-2xx responses"); sys.exit(1)
print("decision/hello rate: %.1f%% (target >= 30%%); decision p99 %.2f ms (target <= 10 ms)" % (100 * ratio, ads[2]))
PY
