#!/usr/bin/env bash
# `make run`: builds (installing missing Debian packages first) and starts opsiq-web in the
# foreground on the embedded SQLite store under ./var (unless OPSIQ_DATABASE_URL or
# OPSIQ_CONFIG_FILE says otherwise). In embedded mode the web process also runs the worker loop
# and applies migrations itself, so this is the whole product. Stop it with Ctrl-C.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$OPSIQ_ROOT"

scripts/build.sh

bin=".build/release/opsiq-web"
[ -x "$bin" ] || die "$bin was not built"

setup_url="$(.build/release/opsiq-admin setup-token 2>/dev/null || true)"
echo ""
echo "OpsIQ is running at http://${OPSIQ_HOST:-127.0.0.1}:${OPSIQ_PORT:-8080}"
if [ -n "$setup_url" ]; then
    echo "First run? Create the Owner account and your first site at: $setup_url"
fi
echo ""
exec "$bin"
