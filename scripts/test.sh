#!/usr/bin/env bash
# The test command: installs build prerequisites (scripts/setup.sh), then runs
# every test in the workspace, the real llama.cpp end-to-end tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Tests write synthetic models into a throw-away cache, not the user's.
export EDGEBENCH_CACHE_DIR="${EDGEBENCH_CACHE_DIR:-$(mktemp -d)}"
cargo test --workspace "$@"
