# Shared set-up of the bench scripts (sourced): builds dg-rs, checks the fixture environments,
# and copies the fixture workspace (without any .venv: a copied venv has stale bytecode
# that every import recompiles) into a temp folder whose projects point at those
# environments through `.env`, as a user's workspace would. Sets ROOT, DG, FIX, DE_BIN,
# DS_BIN, DE_PY, DS_PY, OUT, WORK, WS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
cargo build --release --locked --bins -q
DG=$ROOT/target/release/dg
FIX=$ROOT/fixtures/workspace
DE_BIN=$FIX/projects/data-engineering/.venv/bin
DS_BIN=$FIX/projects/data-science/.venv/bin
DE_PY=$DE_BIN/python
DS_PY=$DS_BIN/python
for py in "$DE_PY" "$DS_PY"; do
  [ -x "$py" ] || { echo "missing $py: run 'target/release/dg --target-path fixtures/workspace sync' first" >&2; exit 2; }
done
OUT=$ROOT/bench/results
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$FIX" "$WORK/ws"
rm -rf "$WORK"/ws/projects/*/.venv "$WORK"/ws/deployments/*/.venv "$WORK"/ws/.dg "$WORK"/ws/projects/*/data
echo "DG_PROJECT_PYTHON_EXECUTABLE=$DE_PY" > "$WORK/ws/projects/data-engineering/.env"
echo "DG_PROJECT_PYTHON_EXECUTABLE=$DS_PY" > "$WORK/ws/projects/data-science/.env"
WS=$WORK/ws
export DAGSTER_DG_UPDATE_CHECK_ENABLED=0
