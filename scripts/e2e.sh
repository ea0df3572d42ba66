#!/usr/bin/env bash
# Browser end-to-end tests: headless Chromium (Debian's chromium + chromium-driver) driven by
# Selenium from PyPI, installed into a venv under .build/e2e-venv (never the system Python).
# Needs the debug build (`swift build`), which `make test` has just made.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$OPSIQ_ROOT"

venv=.build/e2e-venv
if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import selenium, pytest, openapi_spec_validator" 2>/dev/null; then
    say "installing selenium and pytest into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "selenium>=4.20" "pytest>=8" "openapi-spec-validator>=0.7"
fi
# Selenium must not look for browsers or report statistics on the network.
export SE_OFFLINE=true SE_AVOID_STATS=true
say "browser tests (IntegrationTests/browser)"
exec "$venv/bin/python" -m pytest -q IntegrationTests/browser "$@"
