#!/usr/bin/env bash
# `make bench`: the benchmarks of bench/ (job throughput, outbox append rate, raw-insert
# baseline) on SQLite and on a private MariaDB.
#
# Starts a private MariaDB (scripts/test-mariadb.sh) unless OPSIQ_BENCH_MARIADB_URL is already
# set, builds opsiq-bench in release mode and runs
#     OPSIQ_BENCH_MARIADB_URL=... OPSIQ_BENCH_MARIADB_SOCKET=... .build/release/opsiq-bench all [ARGS]
# Extra arguments go to `opsiq-bench all`. The MariaDB instance is always stopped at the end.
# The benchmark's target is on MariaDB, so a MariaDB that cannot start fails the run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$OPSIQ_ROOT"

mdb_dir=""
dovecot_dir=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$dovecot_dir" ]; then
        scripts/test-dovecot.sh stop "$dovecot_dir" || rc=1
    fi
    if [ -n "$mdb_dir" ]; then
        scripts/test-mariadb.sh stop "$mdb_dir" || rc=1
        rm -rf "$mdb_dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/install-deps.sh --test
ensure_swift

if [ -n "${OPSIQ_BENCH_MARIADB_URL:-}" ]; then
    say "using the MariaDB server in OPSIQ_BENCH_MARIADB_URL"
else
    mdb_dir="$(mktemp -d /tmp/opsiq-mdb.XXXXXX)"
    say "starting a private MariaDB in $mdb_dir"
    scripts/test-mariadb.sh start "$mdb_dir" \
        || die "the private MariaDB could not start (server log above); the benchmark needs it"
    OPSIQ_BENCH_MARIADB_URL="$(scripts/test-mariadb.sh url "$mdb_dir")"
    OPSIQ_BENCH_MARIADB_SOCKET="$(cat "$mdb_dir/socket")"
    export OPSIQ_BENCH_MARIADB_URL OPSIQ_BENCH_MARIADB_SOCKET
fi

say "swift build -c release --product opsiq-bench"
swift build -c release --product opsiq-bench
bin=".build/release/opsiq-bench"

# `scripts/bench.sh tickets|mail [ARGS]` runs one named benchmark; anything else goes to `opsiq-bench all`.
case "${1:-}" in
    webhooks)
        shift
        say "opsiq-bench webhooks --engine sqlite $*"
        "$bin" webhooks --engine sqlite "$@"
        say "opsiq-bench webhooks --engine mariadb $*"
        "$bin" webhooks --engine mariadb "$@"
        ;;
    tickets)
        shift
        say "opsiq-bench tickets $*"
        "$bin" tickets "$@"
        ;;
    mail)
        # `scripts/bench.sh mail [ARGS]` (make bench-mail): a private Dovecot for the IMAP import benchmark.
        shift
        dovecot_dir="$(mktemp -d /tmp/opsiq-dovecot.XXXXXX)"
        scripts/test-dovecot.sh start "$dovecot_dir" bench benchpw || die "the private Dovecot could not start; the mail benchmark needs it"
        say "opsiq-bench mail-import $*"
        "$bin" mail-import --imap-port "$(scripts/test-dovecot.sh port "$dovecot_dir")" --imap-user bench --imap-password benchpw "$@"
        ;;
    *)
        say "opsiq-bench all $*"
        "$bin" all "$@"
        ;;
esac
