#!/usr/bin/env bash
# Regenerates Tests/MarqueeExperimentsTests/Fixtures/obp-synthetic.json and obp-obd.json from Open Bandit Pipeline
# 0.5.7. PyPI has obp only as a source archive declared for Python < 3.11, so it is downloaded without its
# dependencies and installed with --ignore-requires-python into a throwaway virtual environment under .build/
# (never committed), with only what the estimators and the dataset loader need (numpy, scipy, scikit-learn,
# pandas, pyyaml, tqdm); torch, seaborn and matplotlib, which obp imports but these never call, are stubbed by
# the Python script. The Open Bandit Dataset sample comes from the same archive (scripts/fetch-obd.sh).
# CI never runs this: the tests read only the committed fixtures and the fetched CSVs.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/obp-venv
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p .build
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet "numpy==2.4.6" "scipy==1.17.1" "scikit-learn==1.9.1" "pandas==2.3.3" pyyaml tqdm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$venv/bin/pip" download --quiet --no-deps --ignore-requires-python -d "$tmp" obp==0.5.7
"$venv/bin/pip" install --quiet --no-deps --ignore-requires-python "$tmp"/obp-0.5.7.tar.gz
bash scripts/fetch-obd.sh "$tmp/obd"
"$venv/bin/python" scripts/obp-fixtures.py Tests/MarqueeExperimentsTests/Fixtures "$tmp/obd"
