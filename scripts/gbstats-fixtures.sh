#!/usr/bin/env bash
# Regenerates Tests/MarqueeExperimentsTests/Fixtures/gbstats.json from GrowthBook's gbstats 0.8.0 (plus scipy
# and statsmodels for what gbstats lacks). gbstats 0.8.0 needs numpy < 2, so it runs in a throwaway virtual
# environment under .build/ (never committed). CI never runs this: the tests read only the committed fixture.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/gbstats-venv
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p .build
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet gbstats==0.8.0 "numpy<2" scipy statsmodels
"$venv/bin/python" scripts/gbstats-fixtures.py Tests/MarqueeExperimentsTests/Fixtures/gbstats.json
