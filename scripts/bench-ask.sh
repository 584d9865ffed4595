#!/usr/bin/env bash
# Answer time of the question engine without an LLM, on the demo world (release build).
# Usage: MARQUEE_BIN=path/to/marquee bash scripts/bench-ask.sh [ROUNDS]
# Builds a default demo world in a temporary directory (or reuses $MARQUEE_BENCH_DB), then asks the questions of
# QUESTIONS.md's range with demo names ROUNDS times (default 5) and prints the median answer time per question.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MARQUEE_BIN:-}
if [ -z "$BIN" ]; then
  swift build -c release --product marquee >/dev/null
  BIN=.build/release/marquee
fi
ROUNDS=${1:-5}
DB=${MARQUEE_BENCH_DB:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ -z "$DB" ]; then
  DB="$WORK/demo.sqlite"
  echo "generating the demo world…" >&2
  "$BIN" demo --db "$DB" --generate-only >/dev/null 2>&1
fi
# "now": noon UTC of the day after the last ad impression (the demo places its world at its generation day).
LAST=$(python3 - "$DB" <<'PY'
import sqlite3, sys, datetime
c = sqlite3.connect(sys.argv[1])
ms = c.execute("SELECT MAX(occurred_at) FROM events WHERE type = 'adImpression'").fetchone()[0]
d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).date() + datetime.timedelta(days=1)
print(f"{d.isoformat()}T12:00:00Z")
PY
)
QUESTIONS=(
  "How is Summer Blockbusters doing?" "What's the CTR of Summer Blockbusters this week?"
  "How many impressions did Streamstick get yesterday?" "How much has Back to School spent so far?"
  "What's the completion rate for Orbit Value Menu 15s A?" "What's our average eCPM last month?"
  "How many unique viewers saw Late Night Cravings?" "How much budget is left on Weekend Getaways? Is it on pace?"
  "How did Summer Blockbusters do this week vs last week?" "Compare Summer Blockbusters and Back to School on CTR."
  "Mobile vs TV click-through for Streamstick?" "Top 5 campaigns by CTR last week." "Which creative has the worst completion rate?"
  "Which region brings the most revenue for Burger Orbit?" "Bottom 3 campaigns by pacing."
  "Break down Summer Blockbusters impressions by device." "CTR by daypart for Skyline Air."
  "Show daily spend for Summer Blockbusters over the last 14 days." "Is CTR trending up for Summer Blockbusters?"
  "Which genres of content do Summer Blockbusters's clicks come from?" "Why did Summer Blockbusters's CTR drop this week?"
  "Why is Summer Blockbusters under-delivering?"
)
FILE="$WORK/questions.jsonl"
: > "$FILE"
for r in $(seq 1 "$ROUNDS"); do
  i=0
  for q in "${QUESTIONS[@]}"; do
    i=$((i + 1))
    python3 -c 'import json,sys; print(json.dumps({"id": f"r{sys.argv[1]}-q{sys.argv[2]}", "question": sys.argv[3], "expect": {"numbers": []}}))' "$r" "$i" "$q" >> "$FILE"
  done
done
"$BIN" ask --db "$DB" --now "$LAST" --eval "$FILE" --json > "$WORK/results.jsonl"
python3 - "$WORK/results.jsonl" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    by.setdefault(r["question"], []).append((r["milliseconds"], r["cpuMilliseconds"]))
print("  wall ms    cpu ms  question")
for q, v in by.items():
    print(f"{statistics.median([a for a, _ in v]):8.1f}  {statistics.median([b for _, b in v]):8.1f}  {q}")
first = [r["milliseconds"] for r in rows if r["id"].startswith("r1-")]
rest = [r["milliseconds"] for r in rows if not r["id"].startswith("r1-")]
print(f"median over all {len(rows)} answers: {statistics.median([r['milliseconds'] for r in rows]):.1f} ms wall, "
      f"{statistics.median([r['cpuMilliseconds'] for r in rows]):.1f} ms CPU (the work, whatever else the machine runs); "
      f"first round {statistics.median(first):.1f} ms; answered {sum(1 for r in rows if r['kind'] == 'answer')}/{len(rows)}")
PY
