#!/usr/bin/env bash
# `dg list components` and `dg check yaml`: dg-rs over the whole workspace (warm: from the cache; cold: each
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

# `dg check yaml`: 20 component files per location (PythonScriptComponent: a script, two
# asset specs with deps, kinds and a templated description), all valid, so both tools read
# and validate every file and print their success line.
for p in data-engineering data-science; do
  m=${p//-/_}
  for i in $(seq 1 20); do
    d=$WS/projects/$p/src/$m/defs/scripts/job_$i
    mkdir -p "$d"
    printf 'print("job %s")\n' "$i" > "$d/run.py"
    cat > "$d/defs.yaml" <<YAML
type: dagster.PythonScriptComponent
attributes:
  execution:
    path: run.py
    name: job_$i
  assets:
    - key: scripts/job_${i}_raw
      kinds: [python]
      description: "Loaded by job $i in {{ env('DG_BENCH_ENV', 'dev') }}"
    - key: scripts/job_${i}_clean
      deps: [scripts/job_${i}_raw]
YAML
  done
done

echo "== check yaml: warm dg-rs (2 locations, 40 files) vs real dg per project (20 files)"
"$DG" --target-path "$WS" check yaml > /dev/null
"${HF[@]}" --warmup 3 --runs 20 -N \
  --export-markdown "$OUT/check-yaml-warm.md" \
  -n "dg-rs check yaml (warm, 2 locations, 40 files)" "$DG --target-path $WS check yaml" \
  -n "real dg check yaml (data-engineering, 1.12.22, 20 files)" "$DE_BIN/dg check yaml --target-path $WS/projects/data-engineering" \
  -n "real dg check yaml (data-science, 1.13.27, 20 files)" "$DS_BIN/dg check yaml --target-path $WS/projects/data-science"

echo "== check yaml: cold dg-rs (registry cache deleted; 2 locations in parallel)"
"${HF[@]}" --warmup 1 --runs 10 \
  --export-markdown "$OUT/check-yaml-cold.md" \
  --prepare "rm -rf $WS/.dg/cache/components" \
  -n "dg-rs check yaml (cold, 2 locations in parallel, 40 files)" "$DG --target-path $WS check yaml"

echo "results in $OUT"
