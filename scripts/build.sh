#!/usr/bin/env bash
# `make build`: installs the missing Debian packages, then builds the three executables in
# release mode: .build/release/opsiq-web, opsiq-worker, opsiq-admin.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$OPSIQ_ROOT"

scripts/install-deps.sh
ensure_swift

for product in opsiq-web opsiq-worker opsiq-admin; do
    say "swift build -c release --product $product"
    swift build -c release --product "$product"
done
say "built: .build/release/opsiq-web .build/release/opsiq-worker .build/release/opsiq-admin"
