#!/usr/bin/env bash
# The README's "Access control" walk-through: the bundled workspace (a copy, so the fixture
# stays as it is) with the policy in fixtures/access: data-science may view and depend on
# data-engineering's published asset, and may not launch there.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bins -q || exit 2
DG="$PWD/target/release/dg"
FIX="$PWD/fixtures/workspace"
"$DG" --target-path "$FIX" sync > /dev/null || exit 2
WS=$(mktemp -d)/ws
trap 'rm -rf "$(dirname "$WS")"' EXIT
cp -r "$FIX" "$WS"
rm -rf "$WS"/projects/*/.venv "$WS"/.dg "$WS"/projects/*/data
for p in data-engineering data-science; do
  echo "DG_PROJECT_PYTHON_EXECUTABLE=$FIX/projects/$p/.venv/bin/python" > "$WS/projects/$p/.env"
done
cp fixtures/access/dg-rs.toml "$WS/dg-rs.toml"
cat fixtures/access/data-engineering-access.toml >> "$WS/projects/data-engineering/pyproject.toml"
cd "$WS"
step() { echo; echo "\$ $*"; "$@"; echo "(exit $?)"; }
step "$DG" access explain carol@example.com
step "$DG" list assets
step "$DG" check
sed -i 's/public = \["key:data_engineering_asset"\]/public = ["group:ingestion"]/' projects/data-engineering/pyproject.toml
echo; echo "# data-engineering now publishes only group:ingestion"
step "$DG" check
sed -i 's/public = \["group:ingestion"\]/public = ["key:data_engineering_asset"]/' projects/data-engineering/pyproject.toml
export DG_RS_USER=carol@example.com
step "$DG" launch --assets '+key:data_science_asset'
step "$DG" launch --assets 'key:data_science_asset'
step "$DG" access codeowners
