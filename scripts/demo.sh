#!/usr/bin/env bash
# The README's first command: build dg-rs and run it on the bundled example workspace
# (fixtures/workspace: data-engineering + data-science), then launch across both locations.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bins
DG="$PWD/target/release/dg"
WS="$PWD/fixtures/workspace"

echo "== dg list projects"
"$DG" --target-path "$WS" list projects
echo "== dg check toml"
"$DG" --target-path "$WS" check toml

# The two locations' own environments (Python 3.11 + dagster 1.12, Python 3.12 + dagster
# 1.13), built by dg-rs itself the first time (a couple of minutes; a no-op afterwards), as
# the tests do.
echo "== dg sync"
"$DG" --target-path "$WS" sync
echo "== dg list assets (the whole workspace, one graph)"
"$DG" --target-path "$WS" list assets
echo "== dg check"
"$DG" --target-path "$WS" check
echo "== dg graph"
"$DG" --target-path "$WS" graph
echo "== dg launch --assets '+key:data_science_asset' (from the workspace root)"
(cd "$WS" && "$DG" launch --assets '+key:data_science_asset')
echo "== next: the Dagster UI over both locations (Ctrl-C to stop)"
echo "   cd fixtures/workspace && ../../target/release/dg dev"
