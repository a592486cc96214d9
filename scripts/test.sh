#!/usr/bin/env bash
# The README's test command: every test tier, after installing what the tiers need.
#
#   plain `cargo test`  unit tests, and the integration tests that need only Rust and Python
#   tier-index          the fixture environments built by `dg sync` (dagster from the package
#                       index), real dg / create-dagster installed to compare with
#   tier-postgres       a real PostgreSQL server (Debian's postgresql)
#   tier-browser        headless Chromium (Debian's chromium)
#
# The suite itself never installs system packages (a tier's test that lacks one fails, naming
# this script): they are installed here with apt-get when missing, which needs root. Extra
# arguments go to `cargo test` (a test name filter, `-- --nocapture`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's package for a tier, installed when missing (root only; otherwise say how).
need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "error: the $1 test tier needs Debian's $2, and this is not root" >&2
    echo "hint: sudo apt-get install -y --no-install-recommends $2, then run this script again" >&2
    exit 1
  fi
}
updated=
apt_update() {
  [ -n "$updated" ] || apt-get update -qq
  updated=1
}
export DEBIAN_FRONTEND=noninteractive

# tier-postgres: a real PostgreSQL server (its initdb and postgres binaries).
if ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
  need_root postgres postgresql
  echo "== apt-get install postgresql"
  apt_update
  apt-get install -y -qq --no-install-recommends postgresql
fi

# tier-browser: headless Chromium.
if [ ! -x /usr/bin/chromium ]; then
  need_root browser chromium
  echo "== apt-get install chromium"
  apt_update
  apt-get install -y -qq --no-install-recommends chromium
fi

echo "== cargo test --locked --all-features (every tier)"
exec cargo test --locked --all-features "$@"
