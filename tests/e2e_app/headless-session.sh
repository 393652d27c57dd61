#!/usr/bin/env bash
# Runs a command the way the app's headless tests need it: under Xvfb (1600x1000, room for the
# window beside the tray panel), in a private D-Bus session with a fresh HOME and an unlocked
# gnome-keyring (the engine keeps its master key in the Secret Service). Used by
# tests/e2e_app/run.sh and bench/app.sh.
#   tests/e2e_app/headless-session.sh CMD [ARGS...]
set -euo pipefail

for tool in xvfb-run dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null; then
        echo "headless-session: $tool not found (run .ci/setup app as root)" >&2
        exit 2
    fi
done

# Keep the real user's Rust toolchain working once HOME changes.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
session_home=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-headless-home.XXXXXX")
trap 'rm -rf "$session_home"' EXIT
mkdir -m 700 "$session_home/runtime"
export HOME="$session_home" XDG_RUNTIME_DIR="$session_home/runtime"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_STATE_HOME
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

set +e
xvfb-run -a -s "-screen 0 1600x1000x24" dbus-run-session -- bash -c '
    set -euo pipefail
    eval "$(printf %s ci-password | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    # The daemon claims org.freedesktop.secrets a moment after --unlock returns (10 s at most).
    for _ in $(seq 200); do
        owned=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus / \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null || true)
        [[ $owned == *true* ]] && break
        sleep 0.05
    done
    exec "$@"
' headless "$@"
rc=$?
set -e
exit "$rc"
