#!/usr/bin/env bash
# The desktop app's end-to-end test: builds the app, then drives its real window with
# tauri-driver + WebKitWebDriver against a real Pebble (tests/e2e_app/test_app.py), under Xvfb in
# a private D-Bus session with an unlocked keyring (headless-session.sh). Screenshots of every tab
# and the notifications sent go to tests/artifacts/.
#   tests/e2e_app/run.sh              build (cargo, debug) and run
#   CERTDESK_APP=/path/to/certdesk-app tests/e2e_app/run.sh    run a binary built elsewhere
# Needs `.ci/setup app` (Debian packages), Node.js + npm, and tauri-driver
# (`cargo install tauri-driver --locked --version '^2'`; installed here when missing).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

for tool in WebKitWebDriver python3 openssl dbus-monitor trayer xdotool import; do
    if ! command -v "$tool" >/dev/null; then
        echo "e2e_app: $tool not found (run .ci/setup app as root)" >&2
        exit 2
    fi
done
if [[ ! -x target/pebble-2.10.1/pebble ]]; then
    echo "e2e_app: Pebble 2.10.1 is not in target/pebble-2.10.1 (run .ci/setup app as root)" >&2
    exit 2
fi
if ! command -v tauri-driver >/dev/null; then
    echo "e2e_app: installing tauri-driver"
    cargo install tauri-driver --locked --version '^2'
fi

if [[ -z "${CERTDESK_APP:-}" ]]; then
    # The agent ships beside the app, as in a release: the Windows Agent tab packages it.
    cargo build --locked -p certdesk-app -p certdesk-agent
    target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    CERTDESK_APP="$target_dir/debug/certdesk-app"
fi
artifacts="$root/tests/artifacts"
mkdir -p "$artifacts"

exec tests/e2e_app/headless-session.sh python3 tests/e2e_app/test_app.py "$CERTDESK_APP" "$artifacts"
