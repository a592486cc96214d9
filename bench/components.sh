#!/usr/bin/env bash
# `dg list components`: dg-rs over the whole workspace (warm: from the cache; cold: each
# location's interpreter reads its registry, in parallel) against real dg inside one project
# (it has no workspace-level listing), in one hyperfine run on one machine.
# Needs: hyperfine, the fixture environments (see bench/lib.sh). Results: bench/results/.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
HF=(hyperfine --style basic)

echo "== list components --json: warm dg-rs (2 locations) vs real dg per project"
"$DG" --target-path "$WS" list components --json > /dev/null
"${HF[@]}" --warmup 3 --runs 20 -N \
  --export-markdown "$OUT/list-components-warm.md" \
  -n "dg-rs list components --json (warm, 2 locations)" "$DG --target-path $WS list components --json" \
  -n "real dg list components --json (data-engineering, 1.12.22)" "$DE_BIN/dg list components --json --target-path $WS/projects/data-engineering" \
  -n "real dg list components --json (data-science, 1.13.27)" "$DS_BIN/dg list components --json --target-path $WS/projects/data-science"

echo "== list components --json: cold dg-rs (2 locations in parallel)"
"${HF[@]}" --warmup 1 --runs 10 \
  --export-markdown "$OUT/list-components-cold.md" \
  --prepare "rm -rf $WS/.dg/cache/components" \
  -n "dg-rs list components --json (cold, 2 locations in parallel)" "$DG --target-path $WS list components --json"

echo "results in $OUT"
