#!/usr/bin/env bash
# The beacon ingestion benchmark (issue "Tracking", speed targets). Run from the repository root:
#     bash bench/beacon/run.sh            (or: make bench-beacon)
# In one run, on loopback, with wrk -t2 -c64 (wrk shares the machine's cores with the servers):
#   1. nginx `return 204;`                 the HTTP ceiling of this machine (baseline)
#   2. opsiq-web GET /healthz              opsiq-web's own trivial route (baseline)
#   3. opsiq-web POST /beacon.php          single-event beacons (the worst case), on MariaDB
#   4. opsiq-web POST /beacon.php          10-event beacons
#   5. single-event beacons while MariaDB is killed (SIGKILL) and restarted in the middle of the run
# For the beacon runs it reports accepted events/s (2xx), p50/p99, rows persisted/s (rows counted in
# MariaDB before and after), whether rows stored == events acknowledged, and opsiq-web's peak memory.
# Options (environment): DURATION (s, default 10), CONNECTIONS (default 64), ROUNDS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/common.sh

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
ROUNDS="${ROUNDS:-2}"
work="$(mktemp -d /tmp/opsiq-bb.XXXXXX)"
web_pid="" nginx_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null && wait "$web_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    scripts/test-mariadb.sh stop "$work/mdb" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for p in wrk nginx; do
    command -v "$p" >/dev/null || { say "installing $p"; apt-get install -y -q wrk nginx-light >/dev/null 2>&1 || apt-get install -y -q wrk nginx >/dev/null; }
done
ensure_swift
say "building opsiq-web and opsiq-admin (release)"
swift build -c release --product opsiq-web 2>&1 | grep -E "error|Compiling|complete" | tail -1
swift build -c release --product opsiq-admin 2>&1 | grep -E "error|complete" | tail -1
bin="$(swift build -c release --show-bin-path)"

say "starting a private MariaDB"
scripts/test-mariadb.sh start "$work/mdb" >/dev/null
mdb_url="$(cat "$work/mdb/url")"
mdb_port="$(cat "$work/mdb/port")"
sock="$(cat "$work/mdb/socket")"
sql() { mariadb --no-defaults --user="$(id -un)" --socket="$sock" --batch --skip-column-names opsiq_test -e "$1"; }

# nginx answering 204 on loopback.
nginx_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    server { listen 127.0.0.1:$nginx_port; location / { return 204; } }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!

# opsiq-web on MariaDB (migrated by opsiq-admin, as in production), its worker off.
web_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export OPSIQ_DATABASE_URL="$mdb_url" OPSIQ_DATA_DIR="$work/data" OPSIQ_PORT="$web_port" OPSIQ_HOST=127.0.0.1 \
       OPSIQ_BASE_URL="http://127.0.0.1:$web_port" OPSIQ_EMBEDDED_WORKER=false OPSIQ_LOG_LEVEL=warning \
       OPSIQ_MASTER_KEY="$(openssl rand -base64 32)"
mkdir -p "$work/data"
"$bin/opsiq-admin" migrate >/dev/null
site_key="$("$bin/opsiq-admin" create-site --name Bench --domain bench.example.com | awk '/^site key:/ {print $NF}')"
ws_id="$(sql "SELECT id FROM workspaces WHERE site_key = '$site_key'")"
"$bin/opsiq-web" >"$work/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$web_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$web_port/healthz" >/dev/null || die "opsiq-web did not start: $(tail -20 "$work/web.log")"

rows() { sql "SELECT COUNT(*) FROM tracking_events WHERE workspace_id = $ws_id"; }
# With the spool (the MariaDB default) a 2xx means "fsync'd to the local spool": wait until it is drained into MariaDB.
drained() { for _ in $(seq 600); do [ "$(curl -fsS "http://127.0.0.1:$web_port/metrics" | awk '/^opsiq_ingest_spool_bytes/ {print $2}')" = "0" ] && return 0; sleep 0.1; done; return 1; }
now_ms() { date +%s%3N; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
wrk_run() { # url script [env...] -> the JSON line
    local url="$1" script="$2"; shift 2
    env "$@" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$url" | tail -1
}
report() { # label json [rows-before rows-after per-beacon persist-ms]
    local label="$1" j="$2" per="${5:-1}"
    python3 - "$label" "$j" "${3:-}" "${4:-}" "$per" "${6:-0}" "$CONNECTIONS" <<'PY'
import json, sys
label, j, before, after, per, persist_ms, conns = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
secs = j["duration_us"] / 1e6
line = f"| {label} | {j['requests']/secs:,.0f} | {j['ok']*per/secs:,.0f} | {j['p50_us']/1000:.2f} | {j['p99_us']/1000:.2f} |"
if before:
    stored, acked = int(after) - int(before), j["ok"] * per
    # wrk stops with up to `conns` beacons in flight: answered by the server (so stored) but never counted by wrk.
    verdict = "equal" if stored == acked else (f"+{stored - acked:,} in flight when wrk stopped" if 0 < stored - acked <= conns * per else "LOST" if stored < acked else "DIFFERENT")
    line += f" {stored / (persist_ms / 1000):,.0f} | {stored:,} stored / {acked:,} acknowledged ({verdict}); {j['busy']:,} answered 503 |"
else:
    line += " – | – |"
print(line)
PY
}

echo
echo "| run | requests/s | accepted events/s | p50 ms | p99 ms | rows persisted/s (until drained) | stored vs acknowledged |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
    j="$(wrk_run "http://127.0.0.1:$nginx_port/" bench/beacon/count.lua)"; report "nginx return 204 (round $round)" "$j"
    j="$(wrk_run "http://127.0.0.1:$web_port/healthz" bench/beacon/count.lua)"; report "opsiq-web /healthz (round $round)" "$j"
    b="$(rows)"; t0="$(now_ms)"; j="$(wrk_run "http://127.0.0.1:$web_port/beacon.php" bench/beacon/beacon.lua SITE_KEY="$site_key" RUN="a$round" EVENTS=1)"
    drained; t1="$(now_ms)"; a="$(rows)"
    report "beacon, 1 event (round $round)" "$j" "$b" "$a" 1 $((t1 - t0))
    b="$(rows)"; t0="$(now_ms)"; j="$(wrk_run "http://127.0.0.1:$web_port/beacon.php" bench/beacon/beacon.lua SITE_KEY="$site_key" RUN="b$round" EVENTS=10)"
    drained; t1="$(now_ms)"; a="$(rows)"
    report "beacon, 10 events (round $round)" "$j" "$b" "$a" 10 $((t1 - t0))
done

# MariaDB killed and restarted on the same port in the middle of a run.
restart_mariadb() {
    sleep $((DURATION / 3))
    local pid; pid="$(cat "$work/mdb/server.pid")"
    kill -9 "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    sleep 1
    mariadbd --no-defaults --datadir="$work/mdb/data" --socket="$sock" --port="$mdb_port" --bind-address=127.0.0.1 \
        --pid-file="$work/mdb/mariadbd.pid" --log-error="$work/mdb/mariadb.err" --user="$(id -un)" --skip-name-resolve \
        --innodb-buffer-pool-size=256M --max-connections=500 --innodb-flush-log-at-trx-commit=1 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci </dev/null >>"$work/mdb/mariadbd.out" 2>&1 &
    echo $! >"$work/mdb/server.pid"
}
b="$(rows)"; t0="$(now_ms)"
restart_mariadb &
restarter=$!
j="$(DURATION=$((DURATION * 2)) wrk_run "http://127.0.0.1:$web_port/beacon.php" bench/beacon/beacon.lua SITE_KEY="$site_key" RUN="c" EVENTS=1)"
wait "$restarter"
for _ in $(seq 100); do sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
drained || echo "(the spool did not drain within 60 s)"; t1="$(now_ms)"
a="$(rows)"
report "beacon, 1 event, MariaDB SIGKILLed + restarted mid-run" "$j" "$b" "$a" 1 $((t1 - t0))
echo
echo "opsiq-web peak memory (VmHWM): $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$web_pid/status)"
echo "machine: $(nproc) cores; wrk -t2 -c$CONNECTIONS -d${DURATION}s; $(mariadbd --version | awk '{print $3}')"
