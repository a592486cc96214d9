#!/usr/bin/env bash
# `dg affected` on the 100 x 1,000-asset synthetic workspace (100k assets, the scale.sh
# workspace) with 10 changed files: one asset module (100 assets) in each of 10 locations,
# committed on a branch, compared with `main` from the merge base. Warm: every manifest is in
# the cache under the head's fingerprints (gen_workspace --reseed after the commit), as after
# a first run or with a saved state. Wall time with hyperfine; `git diff` alone as the floor.
# Results: bench/results/affected.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cargo build --release --locked --features bench --bins --example gen_workspace -q
DG=$ROOT/target/release/dg
GEN=$ROOT/target/release/examples/gen_workspace
OUT=$ROOT/bench/results
mkdir -p "$OUT"
command -v hyperfine > /dev/null || { echo "hyperfine is missing: apt-get install -y hyperfine" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ws=$WORK/ws
"$GEN" "$ws" 100 1000 20 > /dev/null
git() { command git -C "$ws" -c user.name=bench -c user.email=bench@example.com "$@"; }
git init -q -b main
git add -A
git commit -qm "workspace"
git checkout -q -b change
for i in 0 10 20 30 40 50 60 70 80 90; do
  loc=$(printf 'loc-%03d' "$i")
  mod=$(printf 'loc_%03d' "$i")
  echo "# changed" >> "$ws/projects/$loc/src/$mod/defs/group_5.py"
done
git commit -qam "10 changed asset modules"
"$GEN" --reseed "$ws" 100 1000 20 > /dev/null
changed=$(git diff --name-only main...HEAD | wc -l)
affected=$("$DG" --target-path "$ws" affected --base main --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["assets"]))')
hyperfine -N --style none --warmup 2 --runs 15 --export-json "$WORK/h.json" \
  -n "dg affected --base main --format json" "$DG --target-path $ws affected --base main --format json" \
  -n "dg affected --base main (text)" "$DG --target-path $ws affected --base main" \
  -n "dg affected --base main --format github-matrix" "$DG --target-path $ws affected --base main --format github-matrix" \
  -n "dg check --json (same workspace, reference)" "$DG --target-path $ws check --json" \
  -n "git diff --name-only main...HEAD (floor)" "git -C $ws diff --name-only --no-renames main...HEAD" > /dev/null
python3 - "$WORK/h.json" "$changed" "$affected" "$(uptime | sed 's/.*load average: //')" > "$OUT/affected.md" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print("| command | mean wall (s) | min wall (s) | user (s) | sys (s) |")
print("|---|---|---|---|---|")
for r in results:
    print(f"| `{r['command']}` | {r['mean']:.3f} ± {r['stddev']:.3f} | {r['min']:.3f} | {r['user']:.3f} | {r['system']:.3f} |")
print()
print(f"{sys.argv[2]} changed files, {sys.argv[3]} affected assets (of 100,000) across locations; "
      f"load average at the end: {sys.argv[4]}.")
PY
cat "$OUT/affected.md"
