#!/usr/bin/env bash
# The README's first command: build dg-rs and run it on the bundled example workspace
# (fixtures/workspace: data-engineering + data-science).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bins
DG="$PWD/target/release/dg"
WS="$PWD/fixtures/workspace"

echo "== dg list projects"
"$DG" --target-path "$WS" list projects
echo "== dg check toml"
"$DG" --target-path "$WS" check toml
