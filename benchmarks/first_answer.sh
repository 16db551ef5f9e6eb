#!/bin/bash
# Time from `make run` on a fresh copy of this checkout to: /healthz answering, the first answer, indexing done.
# Usage: benchmarks/first_answer.sh [PORT]   (copies the tracked and untracked, non-ignored files to a temp dir)
set -u
PORT=${1:-8765}
REPO=$(cd "$(dirname "$0")/.." && pwd)
FRESH=$(mktemp -d)
(cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$FRESH")
cd "$FRESH" || exit 1
t0=$(date +%s.%N)
make run PORT="$PORT" > "$FRESH/make.log" 2>&1 &
MAKE_PID=$!
elapsed() { python3 -c "import time; print(round(time.time() - $t0, 1))"; }
up=""; first=""
while kill -0 "$MAKE_PID" 2>/dev/null; do
  sleep 0.5
  health=$(curl -s -m 5 "localhost:$PORT/healthz") || continue
  [ -n "$health" ] || continue
  [ -n "$up" ] || { up=$(elapsed); echo "/healthz svarar efter $up s"; }
  if [ -z "$first" ]; then
    answer=$(curl -s -m 30 -X POST "localhost:$PORT/api/ask" -H 'Content-Type: application/json' \
      -d '{"question":"Vad är målet med agendan för kompetensförsörjning?"}')
    if echo "$answer" | grep -q '"refused":false'; then
      first=$(elapsed); echo "första svaret efter $first s: ${answer:0:160}"; echo "$health"
    fi
  fi
  if echo "$health" | grep -q '"state":"done"'; then echo "indexeringen klar efter $(elapsed) s: $health"; break; fi
done
pkill -P "$MAKE_PID"; kill "$MAKE_PID" 2>/dev/null
echo "Logg: $FRESH/make.log"
