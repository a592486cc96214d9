#!/usr/bin/env bash
# The access proxy's added latency: the real dagster-webserver 1.13.27 (host venv under
# target/, started through python/access_webserver.py) serving the fixture's two locations,
# and `dg access proxy` in front of it; one typical UI GraphQL query sent straight to the
# webserver and through the proxy, interleaved in one run (bench/access_latency.rs).
# Free loopback ports only. Result: bench/results/access.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-500}
HOST=$ROOT/target/dagster-host-1.13.27
if ! "$HOST/bin/python" -c "import dagster_webserver" 2>/dev/null; then
  python3 -m venv "$HOST"
  "$HOST/bin/python" -m pip install -q --disable-pip-version-check dagster==1.13.27 dagster-webserver==1.13.27
fi
cargo build --release --locked -q --example access_latency
LAT=$ROOT/target/release/examples/access_latency

cat > "$WS/dg-rs.toml" <<'EOF'
[access]
default_role = "viewer"
admins = ["ops@example.com"]

[access.teams]
data-engineering = ["alice@example.com"]
data-science = ["carol@example.com"]

[access.locations.data-engineering]
editor = ["team:data-engineering"]

[access.locations.data-science]
editor = ["team:data-science"]
EOF
cat > "$WORK/workspace.yaml" <<EOF
load_from:
  - python_module:
      location_name: data-engineering
      module_name: data_engineering.definitions
      working_directory: $WS/projects/data-engineering/src
      executable_path: $DE_PY
  - python_module:
      location_name: data-science
      module_name: data_science.definitions
      working_directory: $WS/projects/data-science/src
      executable_path: $DS_PY
EOF
free_port() { "$HOST/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
WEB_PORT=$(free_port)
mkdir -p "$WORK/home"
echo "telemetry: {enabled: false}" > "$WORK/home/dagster.yaml"
# Each server in its own process group, stopped with its group on exit.
setsid env DAGSTER_HOME="$WORK/home" "$HOST/bin/python" "$ROOT/python/access_webserver.py" \
  -h 127.0.0.1 -p "$WEB_PORT" -w "$WORK/workspace.yaml" > "$WORK/web.log" 2>&1 &
WEB_PID=$!
setsid "$DG" --target-path "$WS" access proxy --listen 127.0.0.1:0 --upstream "127.0.0.1:$WEB_PORT" \
  2> "$WORK/proxy.log" &
PROXY_PID=$!
trap 'kill -TERM -- -$WEB_PID -$PROXY_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

for _ in $(seq 600); do
  grep -q "listening on" "$WORK/proxy.log" 2>/dev/null && \
    curl -s -X POST -H 'content-type: application/json' \
      -d '{"query":"{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError { __typename } } } } }"}' \
      "http://127.0.0.1:$WEB_PORT/graphql" | grep -o RepositoryLocation | wc -l | grep -q 2 && break
  sleep 0.3
done
PROXY_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/proxy.log" | head -1)
{
  echo "# dg access proxy latency ($(date -u +%Y-%m-%d), $(nproc) vCPU)"
  echo
  echo "Query: the UI's asset graph query (bench/access_latency.rs), as carol@example.com."
  echo
  "$LAT" "http://127.0.0.1:$WEB_PORT" "$PROXY_URL" carol@example.com "$N"
} | tee "$OUT/access.md"
