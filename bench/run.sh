#!/usr/bin/env bash
# Benchmarks dg-rs against real dg on the bundled workspace, in one run on one machine.
# Needs: hyperfine (apt-get install hyperfine), the fixture environments (`bash scripts/demo.sh`
# or `dg sync` in fixtures/workspace builds them). Results: bench/results/*.md (hyperfine
# markdown), summarised by hand in BENCHMARKS.md.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
HF=(hyperfine --style basic)

echo "== list projects: dg-rs vs real dg (1.13.27)"
"${HF[@]}" --warmup 5 --runs 50 -N \
  --export-markdown "$OUT/list-projects.md" \
  -n "dg-rs list projects" "$DG --target-path $WS list projects" \
  -n "real dg list projects" "$(dirname "$DS_PY")/dg list projects --target-path $WS"

echo "== list defs --json: warm dg-rs (whole workspace) vs real dg per project"
"$DG" --target-path "$WS" list defs --json > /dev/null
"${HF[@]}" --warmup 3 --runs 30 -N \
  --export-markdown "$OUT/list-defs-warm.md" \
  -n "dg-rs list defs --json (warm, 2 locations)" "$DG --target-path $WS list defs --json" \
  -n "real dg list defs --json (data-engineering, 1.12.22)" "$(dirname "$DE_PY")/dg list defs --json --target-path $WS/projects/data-engineering" \
  -n "real dg list defs --json (data-science, 1.13.27)" "$(dirname "$DS_PY")/dg list defs --json --target-path $WS/projects/data-science"

echo "== list defs --json: cold dg-rs vs bare import of each location"
"${HF[@]}" --warmup 1 --runs 10 \
  --export-markdown "$OUT/list-defs-cold.md" \
  --prepare "rm -rf $WS/.dg/cache/manifests" \
  -n "dg-rs list defs --json (cold, 2 locations in parallel)" "$DG --target-path $WS list defs --json" \
  -n "bare import, data-engineering" "$DE_PY -c 'import sys; sys.path.insert(0, \"$WS/projects/data-engineering/src\"); import dagster; import data_engineering.definitions'" \
  -n "bare import, data-science" "$DS_PY -c 'import sys; sys.path.insert(0, \"$WS/projects/data-science/src\"); import dagster; import data_science.definitions'"

echo "results in $OUT"
