# Sourced by the HTTP benchmarks: installs wrk with apt-get when missing and sets `binary` to the release
# `marquee` to run — MARQUEE_BIN when given (a binary built elsewhere, such as a previous commit's, to
# measure before and after side by side), else a release build in MARQUEE_SCRATCH (default .build; another
# directory keeps a benchmark from waiting on a debug build's lock).
if ! command -v wrk >/dev/null; then
    (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) \
        || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
fi
binary="${MARQUEE_BIN:-}"
if [ -z "$binary" ]; then
    scratch="${MARQUEE_SCRATCH:-.build}"
    swift build -c release --product marquee --scratch-path "$scratch" >/dev/null
    binary="$scratch/release/marquee"
fi
