#!/usr/bin/env bash
# Installs the Debian packages OpsIQ needs, but only the ones that are missing.
#
#   scripts/install-deps.sh          build and run (what `make run` / `make build` need)
#   scripts/install-deps.sh --test   also what the test suite needs (`make test`, `make bench`)
#
# As root (e.g. a fresh Debian 12 without sudo) it runs apt-get itself: one `apt-get update`
# and one `apt-get install`, and only when something is missing. As another user it prints the
# exact command to run and exits 1. It also checks that the Swift toolchain can be found.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# The package lists. The Makefile exports the same lists as DEB_PACKAGES / TEST_DEB_PACKAGES;
# keep the defaults below in step with it.
#   libmariadb-dev, libcurl4-openssl-dev, libgeoip-dev, libargon2-dev, libsqlite3-dev: system-library targets
#   libssl-dev: swift-crypto / NIO SSL;  geoip-database: /usr/share/GeoIP/GeoIP.dat (country lookup)
#   pkg-config: SwiftPM finds the C libraries with it;  git, ca-certificates: SwiftPM fetches dependencies
BUILD_PACKAGES="${DEB_PACKAGES:-libmariadb-dev libssl-dev libcurl4-openssl-dev libgeoip-dev geoip-database libargon2-dev libsqlite3-dev pkg-config git ca-certificates}"
# mariadb-server: the private throwaway instance of scripts/test-mariadb.sh.
# python3-aiosmtpd: the real SMTP server the mail tests send to (IntegrationTests/Support/smtp_server.py).
# dovecot-imapd: the real IMAP server the mailbox tests poll (started as a non-root process by IntegrationTests/Support/IMAPTestServer.swift).
# chromium, chromium-driver: the browser end-to-end tests (scripts/e2e.sh installs their Python
# packages, selenium and pytest, into a venv under .build/e2e-venv, never the system Python).
TEST_PACKAGES="${TEST_DEB_PACKAGES:-mariadb-server chromium chromium-driver python3-aiosmtpd dovecot-imapd php-cli nodejs}"

usage() {
    echo "usage: $0 [--test]"
    echo "  installs the missing Debian packages for building OpsIQ; --test adds the test-suite packages"
}

with_test=0
for arg in "$@"; do
    case "$arg" in
        --test) with_test=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

# shellcheck disable=SC2206  # word splitting of the lists is intended
wanted=($BUILD_PACKAGES)
if [ "$with_test" = 1 ]; then
    # shellcheck disable=SC2206
    wanted+=($TEST_PACKAGES)
fi

is_installed() {
    # `dpkg -s` also answers for removed packages whose config files remain: read the Status line.
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

command -v dpkg >/dev/null 2>&1 || die "dpkg not found: this script supports Debian/Ubuntu only. Install by hand: ${wanted[*]}"

missing=()
for pkg in "${wanted[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    say "Debian packages: all ${#wanted[@]} present"
else
    apt_install="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "ERROR: missing Debian packages: ${missing[*]}" >&2
        echo "Run this as root (e.g. via sudo), then try again:" >&2
        echo "    apt-get update && DEBIAN_FRONTEND=noninteractive $apt_install" >&2
        exit 1
    fi
    say "installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || die "package $pkg is still not installed after apt-get install"
    done
fi

# The Swift toolchain (not a Debian package).
ensure_swift
swift_version="$(swift --version 2>/dev/null | grep -o 'Swift version [0-9][0-9.]*' | head -1 || true)"
case "$swift_version" in
    "Swift version 6"*|"Swift version 7"*|"Swift version 8"*|"Swift version 9"*) ;;
    "") warn "could not read the Swift version from '$(command -v swift) --version'" ;;
    *) die "OpsIQ needs Swift 6 or newer; found $swift_version at $(command -v swift)" ;;
esac
say "Swift: ${swift_version#Swift version } ($(command -v swift))"
