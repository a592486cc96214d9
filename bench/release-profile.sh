#!/usr/bin/env bash
# Chooses [profile.release] by measurement: for each candidate, a clean release build of the
# binaries (own target folder, so nothing is shared between candidates), the size of
# target/release/dg, and warm command times on synthetic workspaces (gen_workspace seeds the
# manifest cache: no Python runs). Candidates are given as CARGO_PROFILE_RELEASE_* overrides,
# so the measurement does not depend on what Cargo.toml says today (run it with Cargo.toml's
# [profile.release] commented out to compare against cargo's defaults).
# Needs hyperfine. Results: bench/results/release-profile.md.
#
#     bash bench/release-profile.sh                 # every candidate below
#     bash bench/release-profile.sh default thin    # some of them
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/results
mkdir -p "$OUT"
WORK=${DG_RS_PROFILE_WORK:-$(mktemp -d)}
mkdir -p "$WORK"

declare -A CANDIDATES=(
  [default]=""
  [thin]="LTO=thin STRIP=symbols"
  [fat]="LTO=fat CODEGEN_UNITS=1 STRIP=symbols"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(default thin fat)

# The workspaces: 1 location x 1,000 assets (a small workspace: start-up dominates) and
# 100 x 1,000 (graph work dominates). The generator only writes files: a debug build will do.
cargo build --locked --features bench --example gen_workspace -q
GEN=$ROOT/target/debug/examples/gen_workspace
[ -d "$WORK/ws1" ] || "$GEN" "$WORK/ws1" 1 1000 20 > /dev/null
[ -d "$WORK/ws100" ] || "$GEN" "$WORK/ws100" 100 1000 20 > /dev/null

{
  echo "| profile | settings | clean build (s) | dg size (MiB) | list defs --json, 1k assets (ms) | check --json, 100k assets (s) |"
  echo "|---|---|---|---|---|---|"
} > "$OUT/release-profile.md"
for name in "${names[@]}"; do
  settings=${CANDIDATES[$name]}
  target=$WORK/target-$name
  rm -rf "$target"
  env_args=()
  for kv in $settings; do env_args+=("CARGO_PROFILE_RELEASE_$kv"); done
  echo "== $name: ${settings:-no overrides} (load before: $(cut -d ' ' -f 1-3 /proc/loadavg))" >&2
  start=$(date +%s)
  env "${env_args[@]}" CARGO_TARGET_DIR="$target" cargo build --release --locked --bins -q
  build=$(($(date +%s) - start))
  dg=$target/release/dg
  size=$(awk -v b="$(stat -c %s "$dg")" 'BEGIN { printf "%.1f", b / 1048576 }')
  hyperfine -N --style none --warmup 5 --runs 50 --export-json "$WORK/h1.json" \
    "$dg --target-path $WORK/ws1 list defs --json" > /dev/null
  hyperfine -N --style none --warmup 2 --runs 10 --export-json "$WORK/h100.json" \
    "$dg --target-path $WORK/ws100 check --json" > /dev/null
  small=$(python3 -c "import json; r=json.load(open('$WORK/h1.json'))['results'][0]; print(f\"{r['mean']*1e3:.1f} ± {r['stddev']*1e3:.1f}\")")
  large=$(python3 -c "import json; r=json.load(open('$WORK/h100.json'))['results'][0]; print(f\"{r['mean']:.3f} ± {r['stddev']:.3f}\")")
  echo "| $name | ${settings:-(none)} | $build | $size | $small | $large |" | tee -a "$OUT/release-profile.md" >&2
done
cat "$OUT/release-profile.md"
