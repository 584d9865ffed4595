#!/usr/bin/env bash
# Browser journeys of the web app (issue 17): a real headless Chromium driven by Selenium through the
# viewer side, the ads console, the experiments page and the analyst chat, against a small demo world
# served by the debug build. Screenshots of every step go to a folder printed at the start and the end
# (MARQUEE_SCREENSHOTS, default .build/browser-screenshots). Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if ! python3 -c "import selenium" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check selenium
fi
bin="${MARQUEE_BIN:-.build/debug/marquee}"
[ -x "$bin" ] || { echo "no marquee binary at $bin: run swift build first" >&2; exit 1; }
shots="${MARQUEE_SCREENSHOTS:-.build/browser-screenshots}"
rm -rf "$shots" && mkdir -p "$shots"
shots=$(cd "$shots" && pwd)
echo "Screenshots: $shots"
work=$(mktemp -d)
touch "$work/out.txt" "$work/err.txt"
key="browser-test-admin-key-0123456789"
MARQUEE_ADMIN_KEY="$key" "$bin" demo --db "$work/web.sqlite" --port 0 --profiles 200 --titles 80 --days 7 --ad-days 2 \
  >"$work/out.txt" 2>"$work/err.txt" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
url=""
for _ in $(seq 1 1800); do
  url=$(sed -n 's/^Web app: \(http:\/\/[^ ]*\)$/\1/p' "$work/out.txt" | head -1)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$work/out.txt" "$work/err.txt" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the demo server did not start" >&2; cat "$work/out.txt" >&2; exit 1; }
base="${url%%#*}"
for _ in $(seq 1 100); do
  curl -sf "${base}healthz" >/dev/null && break
  sleep 0.1
done
python3 tests/browser/journeys.py --url "$url" --key "$key" --screenshots "$shots"
echo "Screenshots: $shots"
