#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from the OpenAPI document against a live
# server on a small demo world and fails on any 5xx or malformed response. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c "import schemathesis" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check schemathesis
fi
bin="${MARQUEE_BIN:-.build/debug/marquee}"
work=$(mktemp -d)
key="api-fuzz-admin-key-0123456789"
MARQUEE_ADMIN_KEY="$key" "$bin" demo --db "$work/fuzz.sqlite" --port 0 --profiles 60 --titles 30 --days 3 >"$work/out.txt" 2>"$work/err.txt" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=""
for _ in $(seq 1 600); do
  port=$(sed -n 's/^Marquee is serving on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out.txt" | head -1)
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || { cat "$work/err.txt" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the demo server did not start" >&2; exit 1; }
python3 -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,content_type_conformance,response_headers_conformance \
  -H "Authorization: Bearer $key" --phases examples,fuzzing,stateful --max-examples 25 --seed 7 --workers 2 --no-color --suppress-health-check all
