#!/usr/bin/env bash
# Shared by bench-home.sh and bench-ads.sh: one route of a demo server against the bare GET /hello of
# the same server, in the same run, with wrk at 64 connections (release build, default demo world).
# Installs wrk with apt-get when missing. Prints both request rates, p50/p99 latencies and the ratio.
# Usage: scripts/bench-http.sh LABEL SCRIPT.lua TARGET_RATIO_PERCENT TARGET_P99_MS [SECONDS]
# (MARQUEE_LOG_LEVEL is passed through to the server; MARQUEE_SCRATCH picks the build directory, default .build;
# MARQUEE_BIN runs a given binary instead of building one; MARQUEE_BENCH_EXPERIMENTS=3 runs three experiments
# in three layers over every viewer while measuring — two of home parameters, one of ad parameters — whose
# treatments set the defaults' own values, so the pages and pods are the same and the difference is the cost
# of assignment, overrides and exposure logging)
set -euo pipefail
cd "$(dirname "$0")/.."
label="$1"
lua="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
target_ratio="$3"
target_p99="$4"
seconds="${5:-15}"
source scripts/bench-setup.sh
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
admin_key="bench-admin-key-0123456789abcdef"
MARQUEE_ADMIN_KEY="$admin_key" "$binary" demo --db "$work/demo.sqlite" --port "$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -sf "http://127.0.0.1:$port/hello" >/dev/null || { cat "$work/server.log"; exit 1; }
experiments="${MARQUEE_BENCH_EXPERIMENTS:-0}"
if [ "$experiments" -gt 0 ]; then
    i=0
    for spec in '"home.explorationShare": 0.1' '"home.diversityLambda": 0.3' '"ads.explorationShare": 0.05, "ads.maxAdsPerPod": 4'; do
        [ "$i" -lt "$experiments" ] || break
        i=$((i + 1))
        curl -sf -X POST "http://127.0.0.1:$port/v1/experiments" -H "Authorization: Bearer $admin_key" \
            -H 'Content-Type: application/json' -d "{\"key\": \"bench-$i\", \"layer\": \"layer-$i\", \"status\": \"running\",
              \"primaryMetric\": \"viewing_minutes\", \"variants\": [{\"key\": \"control\", \"weight\": 0.5},
              {\"key\": \"treatment\", \"weight\": 0.5, \"overrides\": {$spec}}]}" >/dev/null \
            || { echo "could not create experiment bench-$i" >&2; exit 1; }
    done
    echo "running experiments: $i"
fi
# Warm both paths, then measure each for the same time.
wrk -t1 -c16 -d3s "http://127.0.0.1:$port/hello" >/dev/null
wrk -t1 -c16 -d3s -s "$lua" "http://127.0.0.1:$port" >/dev/null
wrk -t1 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$port/hello" >"$work/hello.txt"
wrk -t1 -c64 -d"${seconds}s" --latency -s "$lua" "http://127.0.0.1:$port" >"$work/route.txt"
python3 - "$work/hello.txt" "$work/route.txt" "$label" "$target_ratio" "$target_p99" <<'PY'
import re, sys
def parse(path):
    text = open(path).read()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def ms(label):
        v, unit = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % label, text).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rate, ms("50"), ms("99"), int(errors.group(1)) if errors else 0
hello, route = parse(sys.argv[1]), parse(sys.argv[2])
label, target_ratio, target_p99 = sys.argv[3], sys.argv[4], sys.argv[5]
print("%-10s %12s %10s %10s %8s" % ("route", "requests/s", "p50 ms", "p99 ms", "non-2xx"))
for name, r in (("/hello", hello), (label, route)):
    print("%-10s %12.0f %10.2f %10.2f %8d" % (name, r[0], r[1], r[2], r[3]))
if route[3] or hello[3]:
    print("FAILED: non-2xx responses"); sys.exit(1)
print("%s/hello rate: %.1f%% (target >= %s%%); %s p99 %.2f ms (target <= %s ms)"
      % (label.strip("/"), 100 * route[0] / hello[0], target_ratio, label, route[2], target_p99))
PY
