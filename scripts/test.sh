#!/usr/bin/env bash
# The whole test suite, as CI runs it: fetches what the tests need, checks formatting, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-movielens.sh data/ml-100k
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Sources
swift build --build-tests
swift test --skip-build
