#!/usr/bin/env bash
# Installs the system packages edgebench's build needs on Debian/Ubuntu:
#   cmake, clang, libclang-dev  - llama.cpp is built from source by
#                                 llama-cpp-sys-2 (cmake) with bindgen (libclang)
#   chromium                    - the report test opens report.html in headless
#                                 Chromium (reports/tests/report_chromium.rs)
#   postgresql                  - the history store tests start a throw-away
#                                 PostgreSQL server (initdb/pg_ctl from
#                                 /usr/lib/postgresql/*/bin) on a private port
# Idempotent: installs only what is missing. `--build-only` installs just the
# first three (what building edgebench needs). Called by the README's commands
# and by .ci/run; nothing else needs to be installed by hand.
set -euo pipefail

packages=(cmake clang libclang-dev chromium postgresql)
# --build-only: what building edgebench needs, not what its tests need (for
# device-lab boards, where chromium and postgresql have no business).
if [ "${1:-}" = "--build-only" ]; then
  packages=(cmake clang libclang-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust 1.95+ from https://rustup.rs first" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: need root to install: ${missing[*]} (run as root or: apt-get install ${missing[*]})" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: not a Debian/Ubuntu system; install these yourself: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
