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
# A throwaway PostgreSQL server for the store contract suite (and every test that takes
# MARQUEE_TEST_DATABASE_URL), stopped and removed on exit, also when a test fails.
pg_env=$(bash scripts/postgres-test-server.sh start)
MARQUEE_TEST_PG_DIR=$(sed -n 's/^MARQUEE_TEST_PG_DIR=//p' <<<"$pg_env")
trap 'bash scripts/postgres-test-server.sh stop "$MARQUEE_TEST_PG_DIR"' EXIT
MARQUEE_TEST_DATABASE_URL=$(sed -n 's/^MARQUEE_TEST_DATABASE_URL=//p' <<<"$pg_env")
export MARQUEE_TEST_DATABASE_URL
swift test --skip-build
# The server tests again, each over a fresh schema of the PostgreSQL server instead of a SQLite file.
MARQUEE_TEST_SERVER_BACKEND=postgres swift test --skip-build --filter MarqueeServerTests
# The web app in headless Chromium, against the debug build.
bash scripts/browser-test.sh
