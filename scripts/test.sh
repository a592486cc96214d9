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

missing=()
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the postgres and browser test tiers need Debian's ${missing[*]}, and this is not root" >&2
    echo "hint: sudo apt-get install -y --no-install-recommends ${missing[*]}, then run this script again" >&2
    exit 1
  fi
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== cargo test --locked --all-features (every tier)"
exec cargo test --locked --all-features "$@"
