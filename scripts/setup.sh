#!/usr/bin/env bash
# Installs the system packages edgebench's build needs on Debian/Ubuntu:
#   cmake, clang, libclang-dev  - llama.cpp is built from source by
#                                 llama-cpp-sys-2 (cmake) with bindgen (libclang)
#   chromium                    - the report test opens report.html in headless
#                                 Chromium (reports/tests/report_chromium.rs)
#   poppler-utils               - pdftoppm turns the report printed to PDF by
#                                 Chromium into page images the test checks
#   libxml2-utils               - xmllint validates the --junit files against
#                                 the JUnit XML schema in the tests
#   postgresql                  - the history store tests start a throw-away
#                                 PostgreSQL server (initdb/pg_ctl from
#                                 /usr/lib/postgresql/*/bin) on a private port
# Idempotent: installs only what is missing. `--build-only` installs just the
# first three (what building edgebench needs). Both also fetch the ONNX
# Runtime shared library (see install_onnxruntime below). Called by the README's commands
# and by .ci/run; nothing else needs to be installed by hand.
set -euo pipefail

packages=(cmake clang libclang-dev chromium postgresql poppler-utils libxml2-utils)
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

# ONNX Runtime for the onnx:<ep> backends. edgebench loads it at run time
# (ort's load-dynamic), so it is not a build dependency: the shared library
# is taken from the official onnxruntime PyPI wheel (pip download, no install
# into any Python) and unpacked to
# ${XDG_DATA_HOME:-~/.local/share}/edgebench/onnxruntime/<version>/, where
# edgebench looks for it (ORT_DYLIB_PATH overrides). A GPU or NPU build of
# ONNX Runtime is pointed to with ORT_DYLIB_PATH instead.
ORT_VERSION="${EDGEBENCH_ORT_VERSION:-1.31.1}"
install_onnxruntime() {
  local dir="${XDG_DATA_HOME:-$HOME/.local/share}/edgebench/onnxruntime/$ORT_VERSION"
  if compgen -G "$dir/libonnxruntime.so*" >/dev/null || compgen -G "$dir/libonnxruntime*.dylib" >/dev/null; then
    return 0
  fi
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    echo "setup: python3 with pip is needed to fetch ONNX Runtime $ORT_VERSION (apt-get install python3-pip), or set ORT_DYLIB_PATH to a libonnxruntime" >&2
    return 1
  fi
  ort_tmp="$(mktemp -d)"
  trap 'rm -rf "${ort_tmp:-}"' EXIT
  local tmp="$ort_tmp"
  echo "setup: fetching ONNX Runtime $ORT_VERSION (onnxruntime wheel from PyPI) into $dir" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: "onnxruntime==$ORT_VERSION" -d "$tmp" >&2
  mkdir -p "$dir"
  python3 - "$tmp" "$dir" <<'PY'
import glob, os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(src, "onnxruntime-*.whl"))
if not wheels:
    sys.exit("setup: no onnxruntime wheel was downloaded")
n = 0
with zipfile.ZipFile(wheels[0]) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/") and base.startswith("libonnxruntime"):
            with z.open(name) as f, open(os.path.join(dst, base + ".partial"), "wb") as out:
                out.write(f.read())
            os.chmod(os.path.join(dst, base + ".partial"), 0o755)
            os.replace(os.path.join(dst, base + ".partial"), os.path.join(dst, base))
            n += 1
if n == 0:
    sys.exit("setup: the onnxruntime wheel holds no libonnxruntime library")
PY
  rm -rf "$tmp"
}

ort_or_warn() {
  # Needed at run time only: a failure here must not stop the build set-up.
  if ! (install_onnxruntime); then
    echo "setup: warning: ONNX Runtime $ORT_VERSION was not installed; the onnx:* backends will report ep_unavailable until it is (rerun this script, or set ORT_DYLIB_PATH)" >&2
  fi
}

# pip fetches the ONNX Runtime wheel.
if ! python3 -m pip --version >/dev/null 2>&1; then
  missing+=(python3-pip)
fi

if [ ${#missing[@]} -eq 0 ]; then
  ort_or_warn
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
ort_or_warn
