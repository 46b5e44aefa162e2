#!/usr/bin/env bash
# Proves the wheel is the product: builds it from the checkout's files, installs it into a
# fresh virtualenv, and from an empty folder outside the checkout runs `tthc ingest` (the
# bundled corpus) and `tthc serve`, then asks the running server for /readyz, the chat page
# and a cited answer. Fails on the first thing that does not work.
#
#   bash eval/wheel_check.sh            # in a new temporary folder, removed at the end
#   WHEEL_CHECK_DIR=/tmp/wc PORT=8799 bash eval/wheel_check.sh   # kept, to look into
#
# Run by `make wheel-check` (and so by CI). Needs PyPI (or a warm pip cache) for the build
# backend and the dependencies; torch is installed first as the CPU build (see Makefile).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-python3}
PORT=${PORT:-8765}
WORK=${WHEEL_CHECK_DIR:-$(mktemp -d -t tthc-wheel-check.XXXXXX)}
SRC=$WORK/src DIST=$WORK/dist VENV=$WORK/venv RUN=$WORK/run
start=$(date +%s)
step() { echo "wheel-check [$(($(date +%s) - start))s]: $*"; }
fail() { echo "wheel-check: FAILED: $*" >&2; exit 1; }
server=
finish() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    # The virtualenv holds torch: a folder of our own making is not left behind.
    if [ -z "${WHEEL_CHECK_DIR:-}" ]; then rm -rf "$WORK"; fi
}
trap finish EXIT

# The product must not lean on the caller's settings or on the checkout being importable.
unset PYTHONPATH
for var in $(compgen -e | grep '^TTHC_' || true); do unset "$var"; done

rm -rf "$SRC" "$DIST" "$VENV" "$RUN"
mkdir -p "$SRC" "$DIST" "$RUN"

step "building the wheel from the checkout's files (tracked and new, not ignored)"
# A copy, so no stale build/ in the checkout can slip into the wheel and none is left there.
"$PY" - "$ROOT" "$SRC" <<'EOF'
import shutil
import subprocess
import sys
from pathlib import Path

root, dest = Path(sys.argv[1]), Path(sys.argv[2])
listed = subprocess.run(
    ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd=root, check=True, capture_output=True,
).stdout.decode().split("\0")
for name in filter(None, listed):
    if (root / name).is_file():  # a tracked file deleted in the work tree is left out
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
EOF
"$PY" -m pip wheel -q --no-deps -w "$DIST" "$SRC"
wheel=$(ls "$DIST"/tthc-*.whl)
step "built $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"

"$PY" - "$wheel" <<'EOF'
import sys
import zipfile

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
must = ["prompts/answer_source.txt", "corpus/lexicon.tsv", "service/static/index.html",
        "service/static/chat.js", "service/resources.py", "service/answer/render.py",
        "eval/retrieval.py"]
missing = [name for name in must if name not in names]
stray = sorted(n for n in names if n.startswith(("tests/", "eval/gold/", "eval/reports/")))
plans = [n for n in names if n.startswith("corpus/plans/")]
procedures = [n for n in names if n.startswith("corpus/procedures/")]
if missing or stray or not plans or not procedures:
    sys.exit(f"wheel contents: missing {missing}, stray {stray[:5]}, "
             f"{len(plans)} plans, {len(procedures)} procedures")
print(f"wheel contents: {len(names)} files, {len(plans)} plans, {len(procedures)} procedures")
EOF

step "installing torch (CPU) and the wheel into a fresh virtualenv"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q torch==2.13.0
"$VENV/bin/pip" install -q "$wheel"

cd "$RUN"
step "tthc ingest (no corpus here: the bundled one)"
"$VENV/bin/tthc" ingest > "$WORK/ingest.log" 2>&1 || { tail -20 "$WORK/ingest.log"; fail "ingest"; }
tail -1 "$WORK/ingest.log"
test -d data || fail "ingest wrote no ./data"

base=http://127.0.0.1:$PORT
! curl -fsS -o /dev/null "$base/readyz" 2>/dev/null || fail "port $PORT is taken: set PORT"
step "tthc serve --port $PORT"
"$VENV/bin/tthc" serve --port "$PORT" > "$WORK/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 180); do
    curl -fsS "$base/readyz" > "$WORK/readyz.json" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { tail -20 "$WORK/serve.log"; fail "server exited"; }
    sleep 1
done
curl -fsS "$base/readyz" || { tail -20 "$WORK/serve.log"; fail "/readyz"; }
echo

curl -fsS "$base/" -o "$WORK/index.html" || fail "GET /"
grep -q '<html' "$WORK/index.html" || fail "GET / is not the chat page"
curl -fsS "$base/static/chat.js" -o /dev/null || fail "GET /static/chat.js"
step "GET / and /static/chat.js: ok"

curl -fsS -X POST "$base/api/ask" -H 'content-type: application/json' -o "$WORK/ask.json" \
    -d '{"question":"làm giấy khai sinh cần giấy tờ gì"}' || fail "POST /api/ask"
"$VENV/bin/python" - "$WORK/ask.json" <<'EOF'
import json
import sys

answer = json.load(open(sys.argv[1], encoding="utf-8"))
citations = answer.get("citations") or []
if answer.get("abstained") or not citations or "[1]" not in answer.get("answer", ""):
    sys.exit(f"/api/ask gave no cited answer: {json.dumps(answer, ensure_ascii=False)[:500]}")
print(f"/api/ask: {len(citations)} citations, first: {citations[0]['title']} "
      f"({citations[0]['source']})")
EOF

step "passed"
