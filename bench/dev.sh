#!/usr/bin/env bash
# Benchmarks `dg dev` (issue 11) on the bundled workspace against real `dg dev` run from the
# workspace's deployments/local environment (dagster-dg-cli 1.13.27), in one run on one
# machine, alternating the two tools:
#  - ready: seconds from the start of the command until the webserver's GraphQL API shows
#    every location loaded (a RepositoryLocation);
#  - memory: total RSS of the command's process tree 8 s after ready (the daemon is up by
#    then for both), and how many processes that tree has;
#  - stop: seconds from SIGINT until the command exited, and processes left behind.
# Both use the same persistent DAGSTER_HOME (prepared once before), the same workspace copy,
# the same locations' environments; dg-rs runs with watch on (its default).
# Needs the fixture environments and the host environment: `dg sync` in fixtures/workspace.
# The machine is shared: before each run the script waits (up to QUIET_WAIT seconds, default
# 600) for the 1-minute load average to fall below QUIET_LOAD (default 1.0), and records the
# load each run started at.
# Results: bench/results/dev.md (+ dev.json). RUNS (default 3) runs per tool.
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
HOST_VENV=$FIX/deployments/local/.venv
[ -x "$HOST_VENV/bin/dg" ] || { echo "missing $HOST_VENV: run '$DG --target-path fixtures/workspace sync' first" >&2; exit 2; }
ln -s "$HOST_VENV" "$WS/deployments/local/.venv"
export DAGSTER_HOME=$WORK/dagster_home
mkdir -p "$DAGSTER_HOME"
printf 'telemetry:\n  enabled: false\n' > "$DAGSTER_HOME/dagster.yaml"
"$HOST_VENV/bin/python" -m dagster instance migrate > /dev/null

python3 - "$OUT" "$RUNS" "$WS" "$DG" "$WS/deployments/local/.venv/bin/dg" <<'PY'
import json, os, signal, socket, statistics, subprocess, sys, time, urllib.request

out, runs, ws, ours, real = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
LOCATIONS = {"data-engineering", "data-science"}
Q = b'{"query":"{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"}'

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def tree(root):
    kids = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
    found, todo = [root], [root]
    while todo:
        for k in kids.get(todo.pop(), []):
            found.append(k); todo.append(k)
    return found

def rss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

def alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

def loaded(port):
    try:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", Q, {"content-type": "application/json"})
        entries = json.load(urllib.request.urlopen(req, timeout=2))["data"]["workspaceOrError"]["locationEntries"]
        ok = {e["name"] for e in entries if (e["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation"}
        return ok >= LOCATIONS
    except Exception:
        return False

QUIET_LOAD = float(os.environ.get("QUIET_LOAD", "1.0"))
QUIET_WAIT = float(os.environ.get("QUIET_WAIT", "600"))

def load1():
    return float(open("/proc/loadavg").read().split()[0])

def wait_quiet():
    start = time.monotonic()
    while load1() >= QUIET_LOAD and time.monotonic() - start < QUIET_WAIT:
        time.sleep(5)
    return load1()

def one(tool):
    load = wait_quiet()
    port = free_port()
    argv = [ours, "dev", "--port", str(port)] if tool == "dg-rs" else [real, "dev", "--port", str(port)]
    env = dict(os.environ, NO_COLOR="1", DAGSTER_DG_UPDATE_CHECK_ENABLED="0")
    log = open(f"{out}/dev-{tool}.log", "w")
    t0 = time.monotonic()
    # As from a terminal: SIGINT at its default (a background job inherits it ignored, and
    # real dg dev then ignores SIGINT and SIGTERM alike).
    p = subprocess.Popen(argv, cwd=ws, env=env, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not loaded(port):
        if p.poll() is not None or time.monotonic() - t0 > 300:
            raise SystemExit(f"{tool} did not get ready; see {out}/dev-{tool}.log")
        time.sleep(0.1)
    ready = time.monotonic() - t0
    time.sleep(8)
    pids = tree(p.pid)
    rss = sum(rss_kib(x) for x in pids) / 1024
    t1 = time.monotonic()
    os.kill(p.pid, signal.SIGINT)
    try:
        code = p.wait(timeout=90)
    except subprocess.TimeoutExpired:
        code = None
    stop = time.monotonic() - t1
    time.sleep(1)
    left = [x for x in pids if alive(x)]
    for x in left:
        try: os.kill(x, signal.SIGKILL)
        except OSError: pass
    return {"load": load, "ready_s": ready, "rss_mib": rss, "processes": len(pids), "stop_s": stop, "exit": code, "left": len(left)}

results = {"dg-rs": [], "real dg dev": []}
for i in range(runs):
    for tool in ("dg-rs", "real dg dev"):
        r = one(tool)
        results[tool].append(r)
        print(f"run {i+1} {tool:12s} load {r['load']:4.1f}  ready {r['ready_s']:5.1f} s  rss {r['rss_mib']:6.0f} MiB  "
              f"{r['processes']} processes  stop {r['stop_s']:4.1f} s  exit {r['exit']}  left {r['left']}", flush=True)
json.dump(results, open(f"{out}/dev.json", "w"), indent=1)
med = lambda tool, k: statistics.median(r[k] for r in results[tool])
rows = ["| tool | ready (s), median | ready (s), each run | total RSS (MiB), median | processes | stop (s), median | left running |",
        "|---|---|---|---|---|---|---|"]
for tool in results:
    each = ", ".join(f"{r['ready_s']:.1f}" for r in results[tool])
    rows.append(f"| {tool} | {med(tool, 'ready_s'):.1f} | {each} | {med(tool, 'rss_mib'):.0f} | {results[tool][0]['processes']} | "
                f"{med(tool, 'stop_s'):.1f} | {sum(r['left'] for r in results[tool])} |")
ratio_t = med("dg-rs", "ready_s") / med("real dg dev", "ready_s")
ratio_m = med("dg-rs", "rss_mib") / med("real dg dev", "rss_mib")
rows.append("")
rows.append(f"ratios dg-rs / real: ready {ratio_t:.2f}x (goal <= 0.5x), memory {ratio_m:.2f}x (goal <= 0.7x)")
open(f"{out}/dev.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
