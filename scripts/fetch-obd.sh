#!/usr/bin/env bash
# Fetches the Open Bandit Dataset sample (10,000 rounds per behavior policy and campaign) into DEST (default:
# data/obd) as DEST/{random,bts}/{all,men,women}/*.csv. The data is never committed. It comes from the obp 0.5.7
# source archive on PyPI (obp/dataset/obd/), downloaded with pip and not installed.
set -euo pipefail
dest="${1:-data/obd}"
if [ -s "$dest/random/all/all.csv" ] && [ -s "$dest/bts/women/women.csv" ]; then
  echo "Open Bandit Dataset already in $dest"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --ignore-requires-python --disable-pip-version-check -d "$tmp" obp==0.5.7
mkdir -p "$dest"
python3 - "$tmp/obp-0.5.7.tar.gz" "$dest" <<'PY'
import os, sys, tarfile
prefix = "obp-0.5.7/obp/dataset/obd/"
with tarfile.open(sys.argv[1]) as archive:
    for member in archive.getmembers():
        if not member.isfile() or not member.name.startswith(prefix):
            continue
        relative = member.name[len(prefix):]
        if ".." in relative.split("/"):
            continue
        target = os.path.join(sys.argv[2], relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.extractfile(member) as src, open(target, "wb") as out:
            out.write(src.read())
PY
echo "Open Bandit Dataset (obp 0.5.7 sample) in $dest"
