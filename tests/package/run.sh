#!/usr/bin/env bash
# The Debian package's test: installs the package .ci/package built with apt-get (which
# resolves its declared dependencies), checks what dpkg installed (the declared Depends, the
# binaries on the PATH, the agent beside them, the menu entry valid, the icons), then runs the
# installed binaries under Xvfb with an unlocked keyring (tests/package/test_installed.py): the
# CLI against Pebble 2.10.1, the app's window. At the end, passed or not, it removes the package
# again (and checks that its files went on success), so later tests run the workspace's builds.
#   tests/package/run.sh [PATH.deb]   default: the one .ci/package wrote for this version
# Needs root (runs itself with sudo otherwise): apt-get, and a mount namespace whose
# /etc/resolv.conf names the test's DNS server (port 53 of 127.0.2.53), so that the CLI's lookups
# stay on this machine. Needs `.ci/setup app`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

deb=${1:-}
if [[ -z $deb ]]; then
    version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
    deb=${CARGO_TARGET_DIR:-$root/target}/release/certdesk_${version}_$(dpkg --print-architecture).deb
fi
if [[ ! -f $deb ]]; then
    echo "package test: $deb is not there (build it with .ci/package)" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
        exec sudo --preserve-env=PATH bash "$0" "$deb"
    fi
    echo "package test: run as root: it installs the package and mounts a resolv.conf" >&2
    exit 2
fi
for tool in xdotool xprop import desktop-file-validate unshare openssl; do
    if ! command -v "$tool" >/dev/null; then
        echo "package test: $tool not found (run .ci/setup app as root)" >&2
        exit 2
    fi
done
if dpkg-query -W -f='${Status}' certdesk 2>/dev/null | grep -q "ok installed"; then
    echo "package test: certdesk $(dpkg-query -W -f='${Version}' certdesk) is installed already;" \
        "the test removes the package at its end: remove it first (apt-get remove certdesk)" >&2
    exit 2
fi

fail() {
    echo "package test: $*" >&2
    exit 1
}
apt() {
    env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"
}
resolv_conf=$(mktemp)
# shellcheck disable=SC2329  # run by the trap
cleanup() {
    rm -f "$resolv_conf"
    if dpkg-query -W -f='${Status}' certdesk 2>/dev/null | grep -q "ok installed"; then
        apt remove certdesk >/dev/null || echo "package test: apt-get remove certdesk failed" >&2
    fi
}
trap cleanup EXIT

started=$SECONDS
# apt-get wants a path, not a bare file name, to take it for a package file.
apt install --no-install-recommends "$(realpath "$deb")"

depends=$(dpkg-query -W -f='${Depends}' certdesk)
for lib in libc6 libgtk-3-0 libwebkit2gtk-4.1-0 libsoup-3.0-0 libayatana-appindicator3-1; do
    grep -Eq "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends does not name $lib: $depends"
done
installed=$(dpkg -L certdesk)
for path in /usr/bin/certdesk /usr/bin/certdesk-app /usr/lib/certdesk/certdesk \
    /usr/lib/certdesk/certdesk-app /usr/lib/certdesk/certdesk-agent \
    /usr/share/applications/certdesk.desktop /usr/share/icons/hicolor/256x256/apps/certdesk.png; do
    grep -qx "$path" <<<"$installed" || fail "dpkg -L certdesk does not list $path"
    [[ -e $path ]] || fail "$path is listed but not there"
done
[[ $(command -v certdesk) == /usr/bin/certdesk ]] || fail "certdesk on the PATH is $(command -v certdesk)"
[[ $(command -v certdesk-app) == /usr/bin/certdesk-app ]] ||
    fail "certdesk-app on the PATH is $(command -v certdesk-app)"
# The app and the CLI look for the agent beside the file they run from, which the symlinks
# resolve to.
for bin in certdesk certdesk-app; do
    [[ $(readlink -f "/usr/bin/$bin") == /usr/lib/certdesk/$bin ]] ||
        fail "/usr/bin/$bin resolves to $(readlink -f "/usr/bin/$bin")"
done
validated=$(desktop-file-validate /usr/share/applications/certdesk.desktop 2>&1) ||
    fail "the menu entry is not valid: $validated"
[[ -z $validated ]] || fail "desktop-file-validate warns: $validated"
echo "package test: $(dpkg-query -W -f='${Package} ${Version} (${Installed-Size} KiB)' certdesk) installed" \
    "with Depends: $depends; binaries on the PATH, the agent beside them, menu entry valid"

echo "nameserver 127.0.2.53" >"$resolv_conf"
artifacts="$root/tests/artifacts"
mkdir -p "$artifacts"
# A mount namespace of its own (private propagation: the machine's /etc/resolv.conf stays).
unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$resolv_conf" \
    tests/e2e_app/headless-session.sh python3 tests/package/test_installed.py "$artifacts"

apt remove certdesk >/dev/null
status=$(dpkg-query -W -f='${Status}' certdesk 2>/dev/null || true)
[[ $status != *"ok installed"* ]] || fail "apt-get remove left certdesk $status"
for path in /usr/bin/certdesk /usr/bin/certdesk-app /usr/lib/certdesk \
    /usr/share/applications/certdesk.desktop /usr/share/icons/hicolor/256x256/apps/certdesk.png; do
    [[ ! -e $path && ! -L $path ]] || fail "$path is still there after apt-get remove"
done
echo "package test: apt-get remove certdesk removed its files; passed in $((SECONDS - started)) s"
