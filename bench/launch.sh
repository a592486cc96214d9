#!/usr/bin/env bash
# Benchmarks `dg launch` (issue 5) on the bundled workspace, in one run on one machine:
#  1. the cross-location launch `+key:data_science_asset` (4 assets, 2 locations, 2 steps)
#     vs the sum of bare `dagster asset materialize` for the same assets in each location's
#     own env (goal: <= 1.15x);
#  2. a one-asset launch vs real `dg launch --assets data_science_asset` run inside
#     data-science with that env's dg (goal: <= 0.5x).
# Every command records into the same persistent DAGSTER_HOME. dg-rs runs with a warm
# manifest cache (its normal state). Needs hyperfine and the fixture envs (scripts/demo.sh).
# Results: bench/results/launch-cross.md, launch-one.md (+ .json) and launch-ratios.txt.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
export DAGSTER_HOME=$WORK/dagster_home
mkdir -p "$DAGSTER_HOME"
printf 'telemetry:\n  enabled: false\n' > "$DAGSTER_HOME/dagster.yaml"
export DAGSTER_DG_UPDATE_CHECK_ENABLED=0
HF=(hyperfine --style basic --warmup 1 --runs "$RUNS")
# Warm dg-rs's manifest cache and initialise the instance once.
(cd "$WS" && "$DG" launch --assets '+key:data_science_asset' > /dev/null 2>&1)

DE_ASSETS='raw_orders,cleaned_orders,data_engineering_asset'
IN_PROCESS='{"execution":{"config":{"in_process":{}}}}'
echo "== 1. cross-location launch vs bare dagster asset materialize per location"
"${HF[@]}" --export-markdown "$OUT/launch-cross.md" --export-json "$OUT/launch-cross.json" \
  -n "dg-rs launch +key:data_science_asset (2 locations, 2 steps)" \
  "cd $WS && $DG launch --assets '+key:data_science_asset'" \
  -n "bare materialize, data-engineering (3 assets, default executor)" \
  "cd $WS/projects/data-engineering && $DE_BIN/dagster asset materialize -m data_engineering.definitions -d src --select $DE_ASSETS" \
  -n "bare materialize, data-science (1 asset, default executor)" \
  "cd $WS/projects/data-science && $DS_BIN/dagster asset materialize -m data_science.definitions -d src --select data_science_asset" \
  -n "bare materialize, data-engineering (in_process)" \
  "cd $WS/projects/data-engineering && $DE_BIN/dagster asset materialize -m data_engineering.definitions -d src --select $DE_ASSETS --config-json '$IN_PROCESS'" \
  -n "bare materialize, data-science (in_process)" \
  "cd $WS/projects/data-science && $DS_BIN/dagster asset materialize -m data_science.definitions -d src --select data_science_asset --config-json '$IN_PROCESS'"

echo "== 2. one-asset launch: dg-rs vs real dg (inside data-science)"
"${HF[@]}" --export-markdown "$OUT/launch-one.md" --export-json "$OUT/launch-one.json" \
  -n "dg-rs launch --assets key:data_science_asset" \
  "cd $WS/projects/data-science && $DG launch --assets key:data_science_asset" \
  -n "real dg launch --assets data_science_asset (1.13)" \
  "cd $WS/projects/data-science && $DS_BIN/dg launch --assets data_science_asset"

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
cross = {r["command"]: r for r in json.load(open(f"{out}/launch-cross.json"))["results"]}
one = {r["command"]: r for r in json.load(open(f"{out}/launch-one.json"))["results"]}
m = lambda r: r["mean"]
names = list(cross)
ours = m(cross[names[0]])
bare_default = m(cross[names[1]]) + m(cross[names[2]])
bare_inproc = m(cross[names[3]]) + m(cross[names[4]])
o = list(one)
lines = [
    f"cross-location launch: {ours:.2f} s",
    f"sum of bare materialize (default executor): {bare_default:.2f} s -> ratio {ours / bare_default:.2f}x (goal <= 1.15x)",
    f"sum of bare materialize (in_process): {bare_inproc:.2f} s -> ratio {ours / bare_inproc:.2f}x",
    f"one-asset launch: dg-rs {m(one[o[0]]):.2f} s vs real dg {m(one[o[1]]):.2f} s -> ratio {m(one[o[0]]) / m(one[o[1]]):.2f}x (goal <= 0.5x)",
]
print("\n".join(lines))
open(f"{out}/launch-ratios.txt", "w").write("\n".join(lines) + "\n")
PY
