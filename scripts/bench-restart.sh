#!/usr/bin/env bash
# Restart time and serving memory of a demo store before and after it has served many home pages.
# Generates a demo world, then for the fresh store: start `marquee serve`, time until it answers, serve
# 2,000 pages (warm), read its resident memory; then serves PAGES home pages with wrk (64 connections),
# stops the server, and measures the same again on the store that now holds those pages. Prints both,
# the ratios, and the database size per page served.
# Usage: scripts/bench-restart.sh [PAGES]   (default 300000; MARQUEE_SCRATCH / MARQUEE_BIN as bench-http.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
pages="${1:-300000}"
source scripts/bench-setup.sh
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
lua="$work/home.lua"
cat >"$lua" <<'LUA'
counter = 0
devices = {"tv", "mobile", "web", "tablet"}
request = function()
  counter = counter + 1
  return wrk.format("GET", string.format("/v1/profiles/p%04d/home?device=%s", (counter * 7919) % 3000 + 1, devices[counter % 4 + 1]))
end
LUA
"$binary" demo --db "$work/demo.sqlite" --generate-only >"$work/generate.log" 2>&1
port=$((20000 + RANDOM % 20000))

# Starts the server; writes "start_seconds rss_kb" to $work/measure.txt after it answers and has served 2,000 pages.
measure() {
    local t0 t1
    t0=$(date +%s.%N)
    "$binary" serve --db "$work/demo.sqlite" --port "$port" >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 1200); do
        curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    for k in $(seq 1 2000); do curl -sf "http://127.0.0.1:$port/v1/profiles/p$(printf %04d $((k % 3000 + 1)))/home" >/dev/null; done
    local rss
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    echo "$(python3 -c "print($t1 - $t0)") $rss" >"$work/measure.txt"
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

measure
read -r fresh_start fresh_rss <"$work/measure.txt"
fresh_bytes=$(du -b "$work/demo.sqlite" | cut -f1)
# Serve the pages: wrk at 64 connections until the log holds PAGES more (checked every 5 s).
target=$((pages))
served=0
while [ "$served" -lt "$target" ]; do
    wrk -t1 -c64 -d5s -s "$lua" "http://127.0.0.1:$port" >"$work/wrk.txt"
    done_now=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
    served=$((served + done_now))
    echo "served $served of $target home pages" >&2
done
loaded_rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
stop
sleep 1
measure
read -r after_start after_rss <"$work/measure.txt"
stop
after_bytes=$(du -b "$work/demo.sqlite" | cut -f1)
python3 - "$fresh_start" "$fresh_rss" "$after_start" "$after_rss" "$loaded_rss" "$fresh_bytes" "$after_bytes" "$served" <<'PY'
import sys
fs, fr, as_, ar, lr, fb, ab, n = map(float, sys.argv[1:])
print(f"{'':34} {'fresh store':>14} {'after pages':>14} {'ratio':>7}")
print(f"{'restart until it answers (s)':34} {fs:14.2f} {as_:14.2f} {as_ / fs:7.2f}")
print(f"{'resident memory after 2,000 pages (MB)':34} {fr / 1024:14.1f} {ar / 1024:14.1f} {ar / fr:7.2f}")
print(f"home pages served in between: {int(n):,}; memory of the serving process at the end: {lr / 1024:.1f} MB")
print(f"database: {fb / 1e6:.1f} MB → {ab / 1e6:.1f} MB, {(ab - fb) / n:.0f} bytes per page served")
PY
