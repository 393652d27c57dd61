#!/usr/bin/env bash
# The renewal benchmark (bench/renewal.py): release builds of the CLI, the repository seeder and
# the scheduler-check timer, then the figures inside a keychain session:
#   bench/renewal.sh [--count 1000] [--check 10000]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

cargo build --release --locked -p certdesk
cargo build --release --locked -p certdesk-app --example seed_repository
cargo build --release --locked -p certdesk-engine --example renewal_check
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec bash .ci/test --exec python3 bench/renewal.py \
    "$target_dir/release/certdesk" "$target_dir/release/examples/seed_repository" \
    "$target_dir/release/examples/renewal_check" "$@"
