#!/usr/bin/env bash
# The two limits of the hardening issue, warm, whole process:
#  - `dg list assets` over 100 locations x 1,000 assets, plain text against --json (the text
#    form must cost no more than the JSON form: <= 0.5 s, <= 300 MiB);
#  - `dg check toml` on a dg.toml with 80,000 bad project entries (reported in linear time).
# Wall time with hyperfine, peak memory (max RSS) with GNU time. Results:
# bench/results/hardening.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cargo build --release --locked --bins --features bench --example gen_workspace -q
DG=$ROOT/target/release/dg
GEN=$ROOT/target/release/examples/gen_workspace
OUT=$ROOT/bench/results
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$GEN" "$WORK/ws" 100 1000 20 > /dev/null
mkdir -p "$WORK/bad"
python3 - "$WORK/bad/dg.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('directory_type = "workspace"\n\n[workspace]\n')
    for i in range(80_000):
        f.write(f'\n[[workspace.projects]]\npath = "projects/p{i}"\n')
PY
{
  echo "| command | mean wall (s) | σ (s) | peak RSS (MiB) |"
  echo "|---|---|---|---|"
} > "$OUT/hardening.md"
measure() { # name, expected exit code, argv...
  local name=$1 code=$2
  shift 2
  hyperfine -N --style none --warmup 1 --runs "${RUNS:-10}" -i --export-json "$WORK/h.json" "$*" > /dev/null
  local stats
  stats=$(python3 -c "import json;r=json.load(open('$WORK/h.json'))['results'][0];print(f\"{r['mean']:.3f} | {r['stddev']:.3f}\")")
  local rss got=0
  /usr/bin/time -f '%M' -o "$WORK/rss" "$@" > /dev/null 2> "$WORK/err" || got=$?
  [ "$got" = "$code" ] || { echo "$name exited $got, expected $code" >&2; tail -n 5 "$WORK/err" >&2; exit 1; }
  rss=$(tail -n 1 "$WORK/rss")
  echo "| $name | $stats | $((rss / 1024)) |" >> "$OUT/hardening.md"
}
measure "dg list assets (plain text, 100 x 1,000 assets)" 0 "$DG" --target-path "$WORK/ws" list assets
measure "dg list assets --json (100 x 1,000 assets)" 0 "$DG" --target-path "$WORK/ws" list assets --json
measure "dg check toml (80,000 bad project entries)" 1 "$DG" --target-path "$WORK/bad" check toml
cat "$OUT/hardening.md"
