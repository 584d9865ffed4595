#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetches what the tests need, checks formatting, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The IAB schema tests validate Marquee's VAST and VMAP with xmllint against ../shared/iab/.
command -v xmllint >/dev/null || { apt-get update -qq && apt-get install -y -qq libxml2-utils; }
bash scripts/fetch-movielens.sh data/ml-100k
# The Open Bandit Dataset sample from the obp 0.5.7 archive, for the off-policy estimators' agreement with obp.
bash scripts/fetch-obd.sh data/obd
# A second dataset whose interactions have no order (InstEval, from the Debian package r-cran-lme4).
bash scripts/fetch-insteval.sh data/insteval
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Sources
swift build --build-tests
# Generated requests against a live server from the OpenAPI document: no 5xx, conforming responses.
bash scripts/api-fuzz.sh
swift test --skip-build
# The web app in headless Chromium, against the debug build.
bash scripts/browser-test.sh
