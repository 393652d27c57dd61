#!/usr/bin/env bash
# The desktop app's benchmark (bench/app.py): builds the app, the CLI and the repository seeder
# in release mode, then measures cold start, filtering of 10,000 certificates and idle memory
# under Xvfb with a real keyring, and prints the figures.
#   bench/app.sh [COUNT]            (default 10000)
#   bench/app.sh --memory [COUNT]   only memory: window open, in the tray after closing it, and
#                                   started with --tray (no WebDriver, no empty folder)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mode=()
if [[ "${1:-}" == --memory ]]; then
    mode=(--memory)
    shift
fi

cargo build --release --locked -p certdesk-app -p certdesk
cargo build --release --locked -p certdesk-app --example seed_repository
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec tests/e2e_app/headless-session.sh python3 bench/app.py \
    "$target_dir/release/certdesk-app" "$target_dir/release/certdesk" \
    "$target_dir/release/examples/seed_repository" "${1:-10000}" "${mode[@]}"
