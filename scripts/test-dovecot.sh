#!/usr/bin/env bash
# A private, throwaway Dovecot IMAP server (Debian's dovecot-imapd) for the mail benchmark and the
# test suite (IntegrationTests/Support/IMAPTestServer.swift starts it through this script): its own config, state and Maildirs under DIR, users from a
# passwd-file, a self-signed certificate, IMAPS and IMAP+STARTTLS on free loopback ports, every
# Dovecot process running as the unprivileged `dovecot` user.
#
#   scripts/test-dovecot.sh start DIR USER PASSWORD [USER PASSWORD ...]
#                                                     start it; writes DIR/imaps_port, DIR/imap_port, DIR/pid
#   scripts/test-dovecot.sh stop DIR                  SIGTERM to the master by pid (SIGKILL after 5 s)
#   scripts/test-dovecot.sh port DIR                  print the IMAPS port
#
# Keep DIR short and under /tmp (the dovecot user must be able to reach it).
set -euo pipefail
. "$(dirname "$0")/common.sh"

log() { printf 'test-dovecot: %s\n' "$*" >&2; }
fail() { printf 'test-dovecot: ERROR: %s\n' "$*" >&2; exit 1; }

dovecot=/usr/sbin/dovecot

free_port() {
    python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

listening() {
    python3 -c 'import socket, sys
s = socket.socket(); s.settimeout(0.2)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR USER PASSWORD [USER PASSWORD ...] | stop DIR | port DIR" >&2; exit 2; }

case "$cmd" in
start)
    [ "$#" -ge 4 ] && [ $(( ($# - 2) % 2 )) -eq 0 ] || { echo "usage: $0 start DIR USER PASSWORD [USER PASSWORD ...]" >&2; exit 2; }
    [ -x "$dovecot" ] || fail "Dovecot is missing: apt-get install dovecot-imapd (scripts/install-deps.sh --test)"
    mkdir -p "$dir/run" "$dir/state" "$dir/mail"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl req failed"
: > "$dir/passwd"
    shift 2
    while [ "$#" -ge 2 ]; do
        printf '%s:{PLAIN}%s::::::\n' "$1" "$2" >> "$dir/passwd"
        shift 2
    done
    imap_port="$(free_port)"
    imaps_port="$(free_port)"
    cat > "$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovecot
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$dir/mail/%u
}
mail_location = maildir:~/Maildir
# A throwaway server: no fsync per saved message (bulk loads would wait on the disk).
mail_fsync = never
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
service anvil {
  chroot =
}
EOF
    chown -R dovecot:dovecot "$dir"
    # The master daemonises; runuser makes every Dovecot process unprivileged. Its output and
    # descriptors go nowhere, so it holds no pipe of the caller open.
    runuser -u dovecot -- "$dovecot" -c "$dir/dovecot.conf" </dev/null >/dev/null 2>&1 || { cat "$dir/dovecot.log" >&2 || true; fail "Dovecot did not start"; }
    for _ in $(seq 1 300); do
        if [ -s "$dir/run/master.pid" ] && listening "$imaps_port"; then
            echo "$imaps_port" > "$dir/imaps_port"
            echo "$imap_port" > "$dir/imap_port"
            tr -d '[:space:]' < "$dir/run/master.pid" > "$dir/pid"
            log "ready: pid $(cat "$dir/pid"), IMAPS 127.0.0.1:$imaps_port, STARTTLS 127.0.0.1:$imap_port (log: $dir/dovecot.log)"
            exit 0
        fi
        sleep 0.05
    done
    cat "$dir/dovecot.log" >&2 || true
    fail "Dovecot did not come up within 15 s"
    ;;
stop)
    pid="$(cat "$dir/pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && proc_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do proc_alive "$pid" || break; sleep 0.05; done
        if proc_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -rf "$dir"
    ;;
port)
    cat "$dir/imaps_port"
    ;;
*)
    echo "usage: $0 start DIR USER PASSWORD | stop DIR | port DIR" >&2
    exit 2
    ;;
esac
