#!/usr/bin/env bash
# A private, throwaway MariaDB server for the test suite and the benchmarks.
#
#   scripts/test-mariadb.sh start DIR   create DIR/data (first time), start mariadbd, create the
#                                       `opsiq` user and the `opsiq_test` database; writes
#                                       DIR/url, DIR/socket, DIR/port
#   scripts/test-mariadb.sh stop DIR    shut the server down (SIGTERM, then SIGKILL after 30 s)
#   scripts/test-mariadb.sh url DIR     print the URL: mariadb://opsiq:PW@127.0.0.1:PORT/opsiq_test
#
# Everything lives under DIR: data directory, unix socket, pid files, server log
# (DIR/mariadb.err). Nothing touches the system MariaDB or /etc/mysql (the server runs with
# --no-defaults). The `opsiq` user has ALL PRIVILEGES ON *.*: the tests CREATE and DROP one
# database per test (opsiq_t_*). Keep DIR short (e.g. mktemp -d /tmp/opsiq-mdb.XXXXXX): a unix
# socket path may not exceed 107 bytes. OPSIQ_TEST_MARIADB_BUFFER_POOL sets the InnoDB buffer pool (default 256M;
# the analytics benchmark at 10 M page views uses 4G, as a production server of that size would).
#
# Messages go to stderr; `url` is the only command that writes to stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

log() { printf 'test-mariadb: %s\n' "$*" >&2; }
fail() { printf 'test-mariadb: ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
}

[ "$#" -eq 2 ] || usage
cmd="$1"
dir="$2"

STARTUP_TIMEOUT_TICKS=600   # 600 x 50 ms = 30 s
STOP_TIMEOUT_TICKS=600      # 30 s of SIGTERM before SIGKILL
PORT_ATTEMPTS=5

# Finds a MariaDB program on PATH or in the Debian locations (/usr/sbin is not on every user's PATH).
find_prog() {
    local name="$1" p
    if p="$(command -v "$name" 2>/dev/null)"; then echo "$p"; return 0; fi
    for p in "/usr/sbin/$name" "/usr/bin/$name"; do
        [ -x "$p" ] && { echo "$p"; return 0; }
    done
    fail "$name not found: install mariadb-server (scripts/install-deps.sh --test)"
}

alive() { proc_alive "$1"; }

# True when PID is a live mariadbd (guards against a recycled pid).
is_server() {
    alive "$1" && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = mariadbd ]
}

# Prints a TCP port that is free on 127.0.0.1 right now (a race remains; start retries).
free_port() {
    local p i
    if command -v python3 >/dev/null 2>&1; then
        if p="$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null)" && [ -n "$p" ]; then
            echo "$p"; return 0
        fi
    fi
    for i in $(seq 1 100); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if command -v ss >/dev/null 2>&1; then
            [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && continue
        elif (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            continue
        fi
        echo "$p"; return 0
    done
    fail "could not find a free TCP port"
}

random_password() {
    # 24 random bytes as hex: URL-safe, no quoting issues.
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

show_server_log() {
    local f
    for f in "$dir/mariadb.err" "$dir/mariadbd.out"; do
        if [ -s "$f" ]; then
            echo "----- $f -----" >&2
            tail -n 80 "$f" >&2
        fi
    done
    echo "-----" >&2
}

# Sends SIGTERM, waits, then SIGKILL. Safe to call with a dead or foreign pid.
stop_pid() {
    local pid="$1" i
    is_server "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_TICKS; i++)); do
        alive "$pid" || return 0
        sleep 0.05
    done
    log "mariadbd (pid $pid) did not stop within 30 s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || return 0
        sleep 0.05
    done
    log "mariadbd (pid $pid) is still alive after SIGKILL"
    return 1
}

cmd_start() {
    local mariadbd install_db admin client me sock pid port attempt i ready pw
    mariadbd="$(find_prog mariadbd)"
    install_db="$(find_prog mariadb-install-db)"
    admin="$(find_prog mariadb-admin)"
    client="$(find_prog mariadb)"
    me="$(id -un)"

    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    sock="$dir/mysqld.sock"
    [ "${#sock}" -le 107 ] || fail "socket path too long (${#sock} bytes, max 107): $sock. Use a shorter DIR."

    if [ -f "$dir/server.pid" ] && is_server "$(cat "$dir/server.pid")"; then
        log "already running (pid $(cat "$dir/server.pid"), port $(cat "$dir/port" 2>/dev/null || echo '?'))"
        [ -s "$dir/url" ] && return 0
        fail "a server runs in $dir but $dir/url is missing: run '$0 stop $dir' first"
    fi
    rm -f "$dir/server.pid" "$dir/mariadbd.pid" "$sock" "$sock.lock" "$dir/url" "$dir/socket" "$dir/port"

    if [ ! -d "$dir/data/mysql" ]; then
        rm -rf "$dir/data"
        log "initialising $dir/data"
        if ! "$install_db" --no-defaults --datadir="$dir/data" --user="$me" \
                --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1; then
            cat "$dir/install.log" >&2
            fail "mariadb-install-db failed (log above)"
        fi
    fi

    ready=0
    for ((attempt = 1; attempt <= PORT_ATTEMPTS; attempt++)); do
        port="$(free_port)"
        : >"$dir/mariadb.err"
        # Started directly (no `cd`, no subshell) so that $! is the server's own pid.
        # A background job of a non-interactive shell ignores SIGINT: Ctrl-C in the caller
        # does not kill it; the caller's trap runs `stop`.
        "$mariadbd" --no-defaults \
            --datadir="$dir/data" \
            --socket="$sock" \
            --port="$port" \
            --bind-address=127.0.0.1 \
            --pid-file="$dir/mariadbd.pid" \
            --log-error="$dir/mariadb.err" \
            --user="$me" \
            --skip-name-resolve \
            --innodb-buffer-pool-size="${OPSIQ_TEST_MARIADB_BUFFER_POOL:-256M}" \
            --max-connections=500 \
            --innodb-flush-log-at-trx-commit=1 \
            --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_unicode_ci \
            </dev/null >>"$dir/mariadbd.out" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/server.pid"

        for ((i = 0; i < STARTUP_TIMEOUT_TICKS; i++)); do
            if "$admin" --no-defaults --user="$me" --socket="$sock" --silent ping >/dev/null 2>&1; then
                ready=1
                break
            fi
            alive "$pid" || break
            sleep 0.05
        done
        [ "$ready" = 1 ] && break

        if ! alive "$pid" && grep -q 'Bind on TCP/IP port\|Address already in use' "$dir/mariadb.err" 2>/dev/null; then
            log "port $port was taken; retrying with another port ($attempt/$PORT_ATTEMPTS)"
            rm -f "$dir/server.pid"
            continue
        fi
        stop_pid "$pid" || true
        rm -f "$dir/server.pid"
        show_server_log
        if alive "$pid"; then
            fail "mariadbd did not answer within 30 s (log above)"
        fi
        fail "mariadbd exited during start-up (log above)"
    done
    if [ "$ready" != 1 ]; then
        show_server_log
        fail "mariadbd could not bind a free port after $PORT_ATTEMPTS attempts"
    fi

    pw="$(random_password)"
    if ! "$client" --no-defaults --user="$me" --socket="$sock" --batch >"$dir/setup.log" 2>&1 <<SQL
CREATE OR REPLACE USER 'opsiq'@'127.0.0.1' IDENTIFIED BY '$pw';
CREATE OR REPLACE USER 'opsiq'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'opsiq'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'opsiq'@'localhost';
CREATE DATABASE IF NOT EXISTS opsiq_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;
SQL
    then
        cat "$dir/setup.log" >&2
        stop_pid "$pid" || true
        rm -f "$dir/server.pid"
        fail "creating the opsiq user and database failed (output above)"
    fi

    (
        umask 077
        printf 'mariadb://opsiq:%s@127.0.0.1:%s/opsiq_test\n' "$pw" "$port" >"$dir/url.tmp"
    )
    mv "$dir/url.tmp" "$dir/url"
    printf '%s\n' "$sock" >"$dir/socket"
    printf '%s\n' "$port" >"$dir/port"
    log "ready: pid $pid, 127.0.0.1:$port, socket $sock (log: $dir/mariadb.err)"
}

cmd_stop() {
    local pid
    [ -d "$dir" ] || { log "nothing to stop: $dir does not exist"; return 0; }
    dir="$(cd "$dir" && pwd)"
    if [ ! -f "$dir/server.pid" ]; then
        log "not running (no $dir/server.pid)"
        return 0
    fi
    pid="$(cat "$dir/server.pid")"
    if is_server "$pid"; then
        stop_pid "$pid" || fail "could not stop mariadbd (pid $pid)"
        log "stopped (pid $pid)"
    else
        log "not running (pid $pid is gone)"
    fi
    rm -f "$dir/server.pid" "$dir/mysqld.sock" "$dir/mysqld.sock.lock"
}

cmd_url() {
    [ -s "$dir/url" ] || fail "no URL in $dir/url: run '$0 start $dir' first"
    cat "$dir/url"
}

case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    *) usage ;;
esac
