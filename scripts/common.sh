# Shared helpers for the scripts in this folder. Source it, do not run it:
#   . "$(dirname "$0")/common.sh"
# shellcheck shell=bash

# The repository root (the folder holding Package.swift).
OPSIQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OPSIQ_ROOT

# Where the Swift toolchain lives on the reference machine when it is not on PATH.
OPSIQ_SWIFT_FALLBACK_DIR="${OPSIQ_SWIFT_FALLBACK_DIR:-/opt/swift/usr/bin}"

say()  { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Puts `swift` on PATH (trying $OPSIQ_SWIFT_FALLBACK_DIR) or stops with a clear message.
ensure_swift() {
    if command -v swift >/dev/null 2>&1; then
        return 0
    fi
    if [ -x "$OPSIQ_SWIFT_FALLBACK_DIR/swift" ]; then
        PATH="$OPSIQ_SWIFT_FALLBACK_DIR:$PATH"
        export PATH
        return 0
    fi
    die "the Swift toolchain was not found: 'swift' is not on PATH and $OPSIQ_SWIFT_FALLBACK_DIR/swift does not exist.
       Install Swift 6 from https://www.swift.org/install/linux/ (e.g. unpacked under /opt/swift)
       and put its usr/bin on PATH, or set OPSIQ_SWIFT_FALLBACK_DIR to that usr/bin folder."
}

# True while PID is a live process. A zombie counts as dead: nothing may reap an orphaned
# server on some machines, so after it exits its pid can linger in state Z (kill -0 succeeds).
proc_alive() {
    local pid="$1" state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
