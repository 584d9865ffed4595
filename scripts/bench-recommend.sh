#!/usr/bin/env bash
# Quality and speed of Marquee's models on MovieLens-100K, side by side with the peers' figures
# (../shared/eval/peers.json, measured on the same split on a 2-core machine). Release build.
# Usage: scripts/bench-recommend.sh [OUT_DIR]   (writes results.json, comparison.txt, ndcg.svg)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/bench-recommend}"
peers="${MARQUEE_PEERS:-../shared/eval/peers.json}"
mkdir -p "$out"
bash scripts/fetch-movielens.sh data/ml-100k >/dev/null
swift build -c release --product marquee >/dev/null
./.build/release/marquee evaluate --dataset data/ml-100k --timing 2 --output "$out/results.json" >/dev/null
python3 - "$out" "$peers" <<'PY'
import json, sys, os
out, peers_path = sys.argv[1], sys.argv[2]
ours = json.load(open(os.path.join(out, "results.json")))["models"]
peers = json.load(open(peers_path)) if os.path.exists(peers_path) else {"topn": [], "rating": []}
rows = []
for m in ours:
    a, g = m["topN"]["all"], m["topN"]["ge4"]
    rows.append(("marquee " + m["name"] + (" (served)" if m["served"] else ""), a["ndcg@10"], g["ndcg@10"], m["fitSeconds"],
                 m["top10CallsPerSecond"], m["rating"]["rmse"] if m["rating"] else None))
for p in peers.get("topn", []):
    rows.append((p["model"] + " [" + p.get("library", "") .split(" ")[0] + "]", p["metrics"]["all"]["ndcg@10"], p["metrics"]["ge4"]["ndcg@10"],
                 p.get("fit_s"), p.get("one_user_top10_calls_per_s"), None))
for p in peers.get("rating", []):
    rows.append((p["model"] + " [rating, " + p.get("library", "").split(" ")[0] + "]", None, None, p.get("fit_s"), None, p["rmse"]))
def f(v, fmt):
    return "-" if v is None else fmt % v
lines = ["%-44s %9s %9s %9s %12s %8s" % ("model", "NDCG all", "NDCG ge4", "fit s", "top10/s", "RMSE")]
for r in rows:
    lines.append("%-44s %9s %9s %9s %12s %8s" % (r[0][:44], f(r[1], "%.4f"), f(r[2], "%.4f"), f(r[3], "%.3f"), f(r[4], "%.0f"), f(r[5], "%.4f")))
text = "\n".join(lines)
print(text)
open(os.path.join(out, "comparison.txt"), "w").write(text + "\n")
# A bar chart of NDCG@10 (all and ge4), ours in blue, peers in grey.
bars = [r for r in rows if r[1] is not None]
bars.sort(key=lambda r: -r[1])
width, row_h, left = 900, 26, 330
height = 60 + row_h * len(bars)
scale = (width - left - 40) / max(r[1] for r in bars)
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (width, height),
       '<text x="10" y="22" font-size="15">NDCG@10 on MovieLens-100K (temporal split, K = 10): all (dark) and ge4 (light)</text>']
for k, r in enumerate(bars):
    y = 40 + k * row_h
    ours_bar = r[0].startswith("marquee")
    dark, light = ("#1f5fbf", "#8fb3ea") if ours_bar else ("#555", "#bbb")
    svg.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (left - 8, y + 14, r[0].replace("&", "&amp;").replace("<", "&lt;")))
    svg.append('<rect x="%d" y="%d" width="%.1f" height="10" fill="%s"/>' % (left, y + 3, r[1] * scale, dark))
    svg.append('<rect x="%d" y="%d" width="%.1f" height="10" fill="%s"/>' % (left, y + 13, (r[2] or 0) * scale, light))
    svg.append('<text x="%.1f" y="%d">%.4f</text>' % (left + r[1] * scale + 4, y + 12, r[1]))
svg.append("</svg>")
open(os.path.join(out, "ndcg.svg"), "w").write("\n".join(svg))
print("\nwrote %s/comparison.txt and %s/ndcg.svg" % (out, out))
PY
