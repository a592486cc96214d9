#!/usr/bin/env bash
# How graph work grows with workspace size: 1, 10 and 100 locations of 1,000 assets each
# (1k, 10k, 100k assets), every command warm (manifests pre-seeded in the cache by
# gen_workspace, exactly as after a first run). Wall time with hyperfine, peak memory (max
# RSS) with GNU time. Results: bench/results/scale.md.
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
{
  echo "| assets | command | mean wall (s) | peak RSS (MiB) |"
  echo "|---|---|---|---|"
} > "$OUT/scale.md"
for n in 1 10 100; do
  ws=$WORK/ws$n
  "$GEN" "$ws" "$n" 1000 20 > /dev/null
  last=$(printf 'loc_%03d/asset_0999' $((n - 1)))
  declare -a names=("dg check --json" "dg list assets --select '+key:$last' --json" "dg graph --format json")
  declare -a cmds=("$DG --target-path $ws check --json" "$DG --target-path $ws list assets --json --select +key:$last" "$DG --target-path $ws graph --format json")
  for i in 0 1 2; do
    hyperfine -N --style none --warmup 2 --runs 10 --export-json "$WORK/h.json" "${cmds[$i]}" > /dev/null
    mean=$(python3 -c "import json;print(f\"{json.load(open('$WORK/h.json'))['results'][0]['mean']:.3f}\")")
    # shellcheck disable=SC2086
    rss=$( { /usr/bin/time -f '%M' ${cmds[$i]} > /dev/null; } 2>&1 | tail -n 1)
    echo "| $((n * 1000)) | ${names[$i]} | $mean | $((rss / 1024)) |" >> "$OUT/scale.md"
  done
done
cat "$OUT/scale.md"
