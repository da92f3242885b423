#!/usr/bin/env bash
# Install what the browser tests need (called by `make browser-deps` and `make test`):
#   - Debian's chromium (plus a basic font), from apt, when /usr/bin/chromium is missing
#     and we are root with apt-get;
#   - axe-core, pinned in tests/browser/package-lock.json, from the npm registry into
#     tests/browser/node_modules (npm ci), when it is missing or at another version.
# Idempotent, and quick when everything is already there.
# When something cannot be installed it says so on one line and exits 0, so the browser
# tests skip locally with a clear reason; with CI=true it exits 1 instead.
set -uo pipefail

cd "$(dirname "$0")/.."
BROWSER_DIR=tests/browser
CHROMIUM=/usr/bin/chromium
missing=0

say() { echo "browser-deps: $*"; }
cannot() {
    missing=1
    if [ "${CI:-}" = "true" ]; then
        say "ERROR: $*" >&2
    else
        say "skipped: $* (the browser tests will be skipped)"
    fi
}

# --- chromium -----------------------------------------------------------------------
if [ -x "$CHROMIUM" ]; then
    say "chromium present ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
elif [ "$(id -u)" -ne 0 ]; then
    cannot "$CHROMIUM is missing and we are not root; install Debian's chromium package" \
        "(sudo apt-get install chromium fonts-dejavu-core)"
elif ! command -v apt-get >/dev/null 2>&1; then
    cannot "$CHROMIUM is missing and there is no apt-get to install Debian's chromium"
else
    say "installing Debian's chromium with apt-get"
    if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium fonts-dejavu-core >/dev/null \
        && [ -x "$CHROMIUM" ]; then
        say "chromium installed ($("$CHROMIUM" --version 2>/dev/null | head -n 1))"
    else
        cannot "apt-get could not install chromium"
    fi
fi

# --- axe-core -----------------------------------------------------------------------
lock_version() {
    node -e 'const l = require(process.argv[1]);
             process.stdout.write(l.packages["node_modules/axe-core"].version)' \
        "./$BROWSER_DIR/package-lock.json"
}
installed_version() {
    node -e 'process.stdout.write(require(process.argv[1]).version)' \
        "./$BROWSER_DIR/node_modules/axe-core/package.json" 2>/dev/null
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    cannot "node/npm not found; cannot install axe-core (apt-get install nodejs npm)"
else
    wanted="$(lock_version)"
    if [ -f "$BROWSER_DIR/node_modules/axe-core/axe.min.js" ] \
        && [ "$(installed_version)" = "$wanted" ]; then
        say "axe-core $wanted present"
    else
        say "installing axe-core $wanted with npm ci"
        if npm ci --prefix "$BROWSER_DIR" --no-audit --no-fund --ignore-scripts \
            --loglevel=error >/dev/null \
            && [ -f "$BROWSER_DIR/node_modules/axe-core/axe.min.js" ]; then
            say "axe-core $(installed_version) installed in $BROWSER_DIR/node_modules"
        else
            cannot "npm ci could not install axe-core into $BROWSER_DIR/node_modules"
        fi
    fi
fi

if [ "$missing" -ne 0 ] && [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
