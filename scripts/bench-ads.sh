#!/usr/bin/env bash
# POST /v1/ads/decision against the bare GET /hello of the same server, in the same run, with wrk at
# 64 connections (release build, demo world: 300 titles, 3,000 profiles, 20 campaigns); see bench-http.sh.
# Usage: scripts/bench-ads.sh [SECONDS]   (MARQUEE_LOG_LEVEL is passed through to the server;
# MARQUEE_SCRATCH picks the build directory, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
lua="$(mktemp --suffix=.lua)"
trap 'rm -f "$lua"' EXIT
cat >"$lua" <<'LUA'
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
bash scripts/bench-http.sh /decision "$lua" 30 10 "${1:-15}"
