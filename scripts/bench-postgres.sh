#!/usr/bin/env bash
# PostgreSQL beside SQLite, and one replica beside three, in one run on this machine (issue 18): a demo world
# generated into a SQLite file and exported (`marquee export`) to a throwaway PostgreSQL server, then for each
# setup — SQLite × 1 process, PostgreSQL × 1 replica, PostgreSQL × 3 replicas — wrk measures event ingestion
# (POST /v1/events, 100 new events a request), GET /home and POST /v1/ads/decision, each for SECONDS at 64
# connections in all (split evenly across the replicas, one wrk per replica, their rates summed).
# Prints a table of events/s, /home requests/s and decisions/s with p99 latencies.
# Usage: scripts/bench-postgres.sh [SECONDS] (release build; MARQUEE_BIN runs a given binary instead;
# MARQUEE_BENCH_PROFILES / _TITLES / _DAYS size the world: default 3000 / 300 / 7)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
profiles="${MARQUEE_BENCH_PROFILES:-3000}"
titles="${MARQUEE_BENCH_TITLES:-300}"
days="${MARQUEE_BENCH_DAYS:-7}"
source scripts/bench-setup.sh
work="$(mktemp -d)"
pids=()
pg_dir=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [ -n "$pg_dir" ] && bash scripts/postgres-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
admin_key="bench-admin-key-0123456789abcdef"
pg_env=$(bash scripts/postgres-test-server.sh start)
pg_dir=$(sed -n 's/^MARQUEE_TEST_PG_DIR=//p' <<<"$pg_env")
pg_url=$(sed -n 's/^MARQUEE_TEST_DATABASE_URL=//p' <<<"$pg_env")
echo "world: $profiles profiles, $titles titles, $days days (seed 42)" >&2
"$binary" demo --generate-only --db "$work/world.sqlite" --profiles "$profiles" --titles "$titles" --days "$days" --ad-days 1 >/dev/null 2>&1
"$binary" train --db "$work/world.sqlite" --snapshot "$work/world.model" >/dev/null 2>&1
export_started=$(date +%s.%N)
"$binary" export --db "$work/world.sqlite" --to "$pg_url" >"$work/export.txt" 2>/dev/null
export_seconds=$(python3 -c "import time; print(f'{time.time() - $export_started:.1f}')")
events=$(awk '$1 == "events" || $2 == "events" { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }' "$work/export.txt")
echo "exported $events events to PostgreSQL in $export_seconds s" >&2

today=$(date -u +%Y-%m-%d)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$work/ingest.lua" <<LUA
counter = 0
prefix = os.getenv("BENCH_PREFIX")
request = function()
  counter = counter + 1
  local events = {}
  for i = 1, 100 do
    local n = counter * 100 + i
    events[i] = string.format('{"id":"%s-%d","profileId":"p%04d","type":"play","timestamp":"$now","titleId":"t%04d","context":{"device":"tv","region":"us-west"}}',
      prefix, n, n % $profiles + 1, n % $titles + 1)
  end
  return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $admin_key"},
    '{"events":[' .. table.concat(events, ",") .. ']}')
end
LUA
cat >"$work/home.lua" <<LUA
counter = 0
devices = {"tv", "mobile", "web", "tablet"}
request = function()
  counter = counter + 1
  return wrk.format("GET", string.format("/v1/profiles/p%04d/home?device=%s", (counter * 7919) % $profiles + 1, devices[counter % 4 + 1]))
end
LUA
cat >"$work/decision.lua" <<LUA
counter = 0
devices = {"tv", "mobile", "web", "tablet"}
times = {"${today}T08:00:00-05:00", "${today}T13:00:00-05:00", "${today}T21:00:00-05:00", "${today}T23:30:00-05:00"}
kinds = {"pre-roll", "mid-roll"}
prefix = os.getenv("BENCH_PREFIX")
request = function()
  counter = counter + 1
  local body = string.format(
    '{"profileId":"p%04d","titleId":"t%04d","breakKind":"%s","device":"%s","localTime":"%s","sessionId":"%s-%d","maxPodSeconds":%d}',
    (counter * 7919) % $profiles + 1, (counter * 104729) % $titles + 1, kinds[counter % 2 + 1], devices[counter % 4 + 1],
    times[math.floor(counter / 4) % 4 + 1], prefix, math.floor(counter / 6), 30 + 30 * (counter % 4))
  return wrk.format("POST", "/v1/ads/decision", {["Content-Type"] = "application/json"}, body)
end
LUA

# start_replicas DB N: N `marquee serve` processes on DB; sets `ports`.
start_replicas() {
    local db=$1 n=$2 i port
    ports=()
    for i in $(seq 1 "$n"); do
        port=$((20000 + RANDOM % 20000))
        MARQUEE_ADMIN_KEY="$admin_key" "$binary" serve --db "$db" --snapshot "$work/world.model" --port "$port" \
            >"$work/serve-$n-$i.log" 2>&1 &
        pids+=($!)
        ports+=("$port")
        # One at a time: the first registers the admin key and migrates, the others find them.
        for _ in $(seq 1 240); do
            curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break
            sleep 0.5
        done
        curl -sf "http://127.0.0.1:$port/hello" >/dev/null || { cat "$work/serve-$n-$i.log" >&2; exit 1; }
    done
}

stop_replicas() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}

# measure NAME LUA: wrk on every replica at once (64 connections in all); prints "rate p99ms".
measure() {
    local name=$1 lua=$2 k=0 per=$((64 / ${#ports[@]}))
    local outs=() wrks=()
    for port in "${ports[@]}"; do
        k=$((k + 1))
        BENCH_PREFIX="$name-$RANDOM$RANDOM-$k" wrk -t1 -c"$per" -d"${seconds}s" --latency -s "$lua" "http://127.0.0.1:$port" \
            >"$work/$name-$k.txt" 2>&1 &
        wrks+=($!)
        outs+=("$work/$name-$k.txt")
    done
    wait "${wrks[@]}"
    python3 - "${outs[@]}" <<'PY'
import re, sys
rate, p99, errors = 0.0, 0.0, 0
for path in sys.argv[1:]:
    text = open(path).read()
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    rate += float(m.group(1)) if m else 0.0
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    if m:
        v = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
        p99 = max(p99, v)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors += int(m.group(1)) if m else 0
print(f"{rate:.0f} {p99:.1f} {errors}")
PY
}

results=()
run_setup() {
    local label=$1 db=$2 n=$3
    echo "measuring $label ($seconds s per route)" >&2
    start_replicas "$db" "$n"
    # Warm the routes.
    for port in "${ports[@]}"; do
        BENCH_PREFIX="warm-$RANDOM$RANDOM" wrk -t1 -c4 -d2s -s "$work/home.lua" "http://127.0.0.1:$port" >/dev/null 2>&1
    done
    read -r ingest ingest_p99 ingest_errors < <(measure ingest "$work/ingest.lua")
    read -r home home_p99 home_errors < <(measure home "$work/home.lua")
    read -r decision decision_p99 decision_errors < <(measure decision "$work/decision.lua")
    stop_replicas
    results+=("$label|$((ingest * 100))|$ingest_p99|$home|$home_p99|$decision|$decision_p99|$((ingest_errors + home_errors + decision_errors))")
}

run_setup "SQLite, 1 process" "$work/world.sqlite" 1
run_setup "PostgreSQL, 1 replica" "$pg_url" 1
run_setup "PostgreSQL, 3 replicas" "$pg_url" 3

echo
echo "Marquee on SQLite and PostgreSQL, $(nproc) cores, one machine (wrk, 64 connections in all, $seconds s a route; world: $events events)"
printf '| %-24s | %10s | %9s | %10s | %9s | %12s | %9s | %6s |\n' setup "events/s" "p99 ms" "/home/s" "p99 ms" "decisions/s" "p99 ms" "non-2xx"
printf '| %-24s | %10s | %9s | %10s | %9s | %12s | %9s | %6s |\n' --- --- --- --- --- --- --- ---
for r in "${results[@]}"; do
    IFS='|' read -r label ev evp home homep dec decp errs <<<"$r"
    printf '| %-24s | %10s | %9s | %10s | %9s | %12s | %9s | %6s |\n' "$label" "$ev" "$evp" "$home" "$homep" "$dec" "$decp" "$errs"
done
