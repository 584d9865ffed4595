#!/usr/bin/env bash
# GET /v1/profiles/{id}/home against the bare GET /hello of the same server, in the same run, with
# wrk at 64 connections (release build, demo world: 300 titles, 3,000 profiles); see bench-http.sh.
# Usage: scripts/bench-home.sh [SECONDS]   (MARQUEE_LOG_LEVEL is passed through to the server;
# MARQUEE_SCRATCH picks the build directory, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
lua="$(mktemp --suffix=.lua)"
trap 'rm -f "$lua"' EXIT
cat >"$lua" <<'LUA'
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
bash scripts/bench-http.sh /home "$lua" 25 20 "${1:-15}"
