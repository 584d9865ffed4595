#!/usr/bin/env bash
# Marquee at scale on synthetic MovieLens-shaped data (../shared/eval/scale): for the 1M set (20,000
# profiles × 5,000 titles) and the 10M set (100,000 × 15,000), import, train, serve and evaluate, each
# timed with GNU time, and the peers (numpy EASE, implicit ALS) on the same split in a virtual environment.
# Prints one table at the end (also written to .build/scale/results.txt) beside the figures measured before
# issue 13 (../shared/eval/scale/README.md). Release build, as the other bench scripts.
#
# Usage: scripts/bench-scale.sh [1m|10m|all]   (default all)
# Environment: MARQUEE_SCRATCH  build directory (default .build)
#              MARQUEE_SCALE_DIR  the generator and peers (default ../shared/eval/scale)
#              MARQUEE_SCALE_SKIP_10M_TRAIN=1  at 10M only import, write the split with a cheap model and run
#                the peers: no train, serve or served-model evaluation (those take ~20 min and 14 GB today)
#              MARQUEE_SCALE_SKIP_PEERS=1  no virtual environment, no peers
#              MARQUEE_SCALE_MODEL  the served model's name for `marquee evaluate` (default sequence-hybrid)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
case "$which" in 1m | 10m | all) ;; *) echo "usage: scripts/bench-scale.sh [1m|10m|all]" >&2; exit 2 ;; esac
scale_dir="${MARQUEE_SCALE_DIR:-../shared/eval/scale}"
[ -f "$scale_dir/make_synthetic_ml.py" ] || { echo "no $scale_dir/make_synthetic_ml.py (set MARQUEE_SCALE_DIR)" >&2; exit 1; }
out=.build/scale
mkdir -p "$out"
results="$out/results.tsv"
: >"$results"
say() { echo "[bench-scale $(date +%H:%M:%S)] $*" >&2; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }   # set, figure, value

if ! [ -x /usr/bin/time ]; then
    say "installing GNU time"
    (apt-get install -y time >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y time >/dev/null)) \
        || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
fi
scratch="${MARQUEE_SCRATCH:-.build}"
say "building marquee (release, $scratch)"
swift build -c release --product marquee --scratch-path "$scratch" >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
marquee="$(cd "$scratch/release" && pwd)/marquee"

# The served model's name, checked against the models `marquee evaluate --help` lists.
known="$("$marquee" evaluate --help 2>&1 | tr -d '\n' | sed -n 's/.*Known: \([^.)]*\).*/\1/p' | tr -d ' ')"
model="${MARQUEE_SCALE_MODEL:-sequence-hybrid}"
case ",$known," in *",$model,"*) ;; *) echo "marquee evaluate does not know '$model' (known: $known); set MARQUEE_SCALE_MODEL" >&2; exit 1 ;; esac
cheap="most-popular"
case ",$known," in *",$cheap,"*) ;; *) cheap="$model" ;; esac

# Runs a command under GNU time; prints its output to $out/NAME.log and sets $secs and $peak_mb.
timed() {
    local name="$1"; shift
    /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 || { tail -20 "$out/$name.log" >&2; return 1; }
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out/$name.time")"
    peak_mb="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/$name.time")"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
status_mb() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

peers_python=""
if [ "${MARQUEE_SCALE_SKIP_PEERS:-0}" != 1 ]; then
    if ! [ -x "$out/venv/bin/python" ] || ! "$out/venv/bin/python" -c "import implicit, numpy, scipy, threadpoolctl" 2>/dev/null; then
        say "creating $out/venv (implicit, numpy, scipy, threadpoolctl)"
        python3 -m venv "$out/venv"
        "$out/venv/bin/pip" install -q implicit numpy scipy threadpoolctl
    fi
    peers_python="$out/venv/bin/python"
fi

run_set() {
    local set="$1" users="$2" titles="$3" interactions="$4"
    local data="$out/s$set" db="$out/$set.sqlite" split="$out/split-$set"
    if ! [ -f "$data/u.data" ] || ! [ -f "$data/u.user" ]; then
        say "$set: making the synthetic set ($users profiles, $titles titles, $interactions interactions)"
        python3 "$scale_dir/make_synthetic_ml.py" "$data" "$users" "$titles" "$interactions" >/dev/null
    else
        say "$set: reusing $data"
    fi
    local ratings
    ratings="$(wc -l <"$data/u.data")"
    record "$set" "ratings" "$ratings"

    say "$set: import movielens"
    rm -f "$db" "$db-wal" "$db-shm" "$db.model"
    if ! timed "$set-import" "$marquee" import movielens "$data" --db "$db"; then
        record "$set" "import" "failed (see $out/$set-import.log)"
        return 0
    fi
    record "$set" "import s" "$secs"
    record "$set" "import events/s" "$(awk -v n="$ratings" -v s="$secs" 'BEGIN { printf "%.0f", 2 * n / s }')"
    record "$set" "import peak MB" "$peak_mb"
    say "$set: imported in ${secs} s, peak ${peak_mb} MB"

    local skip_model=0
    [ "$set" = 10m ] && [ "${MARQUEE_SCALE_SKIP_10M_TRAIN:-0}" = 1 ] && skip_model=1
    if [ "$skip_model" = 0 ]; then
        say "$set: train"
        if ! timed "$set-train" "$marquee" train --db "$db"; then
            record "$set" "train" "failed (see $out/$set-train.log)"
            skip_model=1
        fi
    fi
    if [ "$skip_model" = 0 ]; then
        record "$set" "train s" "$secs"
        record "$set" "train peak MB" "$peak_mb"
        record "$set" "snapshot MB" "$(stat -c %s "$db.model" | awk '{ printf "%.1f", $1 / 1048576 }')"
        say "$set: trained in ${secs} s, peak ${peak_mb} MB"

        say "$set: serve"
        local port=$((20000 + RANDOM % 20000)) key
        key="bench-scale-$RANDOM$RANDOM$RANDOM$RANDOM"
        local started
        started="$(date +%s.%N)"
        MARQUEE_ADMIN_KEY="$key" "$marquee" serve --db "$db" --port "$port" >"$out/$set-serve.log" 2>&1 &
        local server=$!
        local up=0
        for _ in $(seq 1 1200); do
            if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=1; break; fi
            kill -0 "$server" 2>/dev/null || break
            sleep 0.1
        done
        if [ "$up" = 1 ]; then
            record "$set" "serve start s" "$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
            record "$set" "serve RSS after start MB" "$(status_mb "$server" VmRSS)"
            local auth=(-H "Authorization: Bearer $key")
            latency() {   # ROUTE_TEMPLATE (with %d for the user): the median of 20 requests, after 5 to warm up
                local k u
                for k in $(seq 1 25); do
                    u=$((1 + (k * 7919) % users))
                    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "${auth[@]}" "http://127.0.0.1:$port$(printf "$1" "$u")"
                done | tail -20 >"$out/latency.txt"
                median <<<"$(awk '{ print $2 }' "$out/latency.txt")" | tr -d '\n'
                awk '$1 != 200 { bad++ } END { if (bad) printf " (%d of 20 not 200)", bad }' "$out/latency.txt"
            }
            local home rec
            home="$(latency '/v1/profiles/u%d/home?device=tv&rows=10&perRow=12')"
            rec="$(latency '/v1/profiles/u%d/recommendations?n=10')"
            ms() { awk -v s="${1%% *}" 'BEGIN { printf "%.1f", s * 1000 }'; [ "$1" = "${1%% *}" ] || printf ' %s' "${1#* }"; }
            record "$set" "home page ms (median of 20)" "$(ms "$home")"
            record "$set" "recommendations ms (median of 20)" "$(ms "$rec")"
            record "$set" "serve RSS after requests MB" "$(status_mb "$server" VmRSS)"
            record "$set" "serve peak RSS (VmHWM) MB" "$(status_mb "$server" VmHWM)"
            say "$set: serving; home ${home} s, recommendations ${rec} s"
        else
            record "$set" "serve start s" "failed (see $out/$set-serve.log)"
            say "$set: the server did not answer /healthz"
        fi
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    else
        say "$set: skipping train, serve and the served model's evaluation (MARQUEE_SCALE_SKIP_10M_TRAIN=1)"
    fi

    local eval_model="$model"
    [ "$skip_model" = 1 ] && eval_model="$cheap"
    say "$set: marquee evaluate --model $eval_model (writes the split)"
    if ! timed "$set-evaluate" "$marquee" evaluate --dataset "$data" --model "$eval_model" --write-split "$split" --timing 0.2 \
        --output "$out/$set-evaluate.json"; then
        record "$set" "marquee evaluate" "failed (see $out/$set-evaluate.log)"
        return 0
    fi
    python3 - "$out/$set-evaluate.json" "$set" "$secs" "$peak_mb" >>"$results" <<'PY'
import json, sys
models = json.load(open(sys.argv[1]))["models"]
s = sys.argv[2]
for m in models:
    print("%s\tmarquee %s NDCG@10 (all)\t%.4f" % (s, m["name"], m["topN"]["all"]["ndcg@10"]))
    print("%s\tmarquee %s fit s\t%.2f" % (s, m["name"], m["fitSeconds"]))
print("%s\tmarquee evaluate peak MB\t%s" % (s, sys.argv[4]))
PY
    if [ -n "$peers_python" ]; then
        say "$set: peers (implicit ALS, numpy EASE) on the same split"
        "$peers_python" "$scale_dir/scale_peers.py" "$split" ease | tee "$out/$set-peers.log" >&2
        python3 - "$out/$set-peers.log" "$set" >>"$results" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"(.*?): fit ([\d.]+)s, NDCG@10 all ([\d.]+)", line.strip())
    if m:
        print("%s\t%s fit s\t%s" % (sys.argv[2], m.group(1), m.group(2)))
        print("%s\t%s NDCG@10 (all)\t%s" % (sys.argv[2], m.group(1), m.group(3)))
PY
    fi
}

[ "$which" = 10m ] || run_set 1m 20000 5000 1000000
[ "$which" = 1m ] || run_set 10m 100000 15000 10000000

# The table, beside the figures measured before issue 13 (../shared/eval/scale/README.md, release build of main, December 2026).
python3 - "$results" "$out/results.txt" <<'PY'
import sys
before = {
    ("1m", "marquee sequence-hybrid fit s"): "28.4", ("1m", "marquee sequence-hybrid NDCG@10 (all)"): "0.1944",
    ("1m", "numpy EASE l600 fit s"): "11.3", ("1m", "numpy EASE l600 NDCG@10 (all)"): "0.1969",
    ("1m", "implicit ALS f64 it15 fit s"): "4.35", ("1m", "marquee evaluate peak MB"): "1100 (--model all)",
    ("1m", "import s"): "23.5 (README, chunked events)", ("1m", "import peak MB"): "156 (README, chunked events)",
    ("10m", "import s"): "480", ("10m", "import events/s"): "41500", ("10m", "import peak MB"): "7100",
    ("10m", "train s"): "1160", ("10m", "train peak MB"): "14200", ("10m", "snapshot MB"): "7000",
    ("10m", "serve start s"): "killed (out of memory at 21.5 GB)",
}
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
lines = ["%-5s %-40s %14s %s" % ("set", "figure", "this run", "before (shared README)")]
for s, figure, value in rows:
    lines.append("%-5s %-40s %14s %s" % (s, figure, value, before.get((s, figure), "")))
text = "\n".join(lines)
print(text)
open(sys.argv[2], "w").write(text + "\n")
PY
say "wrote $out/results.txt"
