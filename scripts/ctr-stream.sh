#!/usr/bin/env bash
# Makes the CTR benchmark stream of ../shared/eval/ctr (2,000,000 impressions drawn from a known
# logistic model) with the shared generator, checks its SHA-256, and does nothing when the checked
# file is already there. The data is never committed (data/ is in .gitignore).
#
#   bash scripts/ctr-stream.sh [DIR]      # default data/ctr → DIR/ctr_stream.tsv, DIR/ctr_ptrue.txt
#   swift run -c release marquee ads ctr-bench data/ctr/ctr_stream.tsv
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-data/ctr}"
shared="${MARQUEE_SHARED:-../shared}/eval/ctr"
# The SHA-256 that ../shared/eval/ctr/README.md gives for ctr_stream.tsv.
expected="df8126e22d34b5e0f9be30fe1284bb01eeec8dd0d7175855186e196d9ed6900a"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

if [ -f "$shared/README.md" ] && ! grep -q "$expected" "$shared/README.md"; then
  echo "warning: $shared/README.md no longer lists $expected; the generator may have changed" >&2
fi

if [ -f "$dir/ctr_stream.tsv" ]; then
  if [ "$(sha256 "$dir/ctr_stream.tsv")" = "$expected" ]; then
    echo "$dir/ctr_stream.tsv is already there (SHA-256 checked)"
    exit 0
  fi
  echo "$dir/ctr_stream.tsv does not have the expected SHA-256; making it again" >&2
fi

[ -f "$shared/make_ctr_stream.py" ] || { echo "error: no generator at $shared/make_ctr_stream.py (set MARQUEE_SHARED)" >&2; exit 1; }

# numpy: already importable, else pip (as scripts/api-fuzz.sh installs its tools), else a venv under .build/.
python=python3
if ! "$python" -c "import numpy" 2>/dev/null; then
  if ! python3 -m pip install --quiet --disable-pip-version-check --user numpy 2>/dev/null \
    || ! python3 -c "import numpy" 2>/dev/null; then
    venv=.build/ctr-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check numpy
    python="$venv/bin/python"
  fi
fi

# Generate beside the target and move into place, so an interrupted run never leaves a file that
# looks finished.
mkdir -p "$dir"
work=$(mktemp -d "$dir/.ctr-stream.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$python" "$shared/make_ctr_stream.py" "$work"
actual=$(sha256 "$work/ctr_stream.tsv")
if [ "$actual" != "$expected" ]; then
  echo "error: the generated ctr_stream.tsv has SHA-256 $actual, expected $expected" >&2
  exit 1
fi
mv "$work/ctr_stream.tsv" "$work/ctr_ptrue.txt" "$dir/"
echo "wrote $dir/ctr_stream.tsv (SHA-256 checked) and $dir/ctr_ptrue.txt"
