#!/usr/bin/env bash
# Coverage-guided fuzzing of edgebench's parsers (cargo-fuzz, libFuzzer, ASan):
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Runs each target (default: all of them, 60 s each) on a fresh working
# corpus seeded from fuzz/seeds/<target> (and profiles/ for the profile
# target), so the committed corpora stay small; new inputs are kept in a
# temporary folder (EDGEBENCH_FUZZ_KEEP=DIR keeps them in DIR/<target>).
# Prints per target: executions, seconds, corpus size, crashes. A crash, a
# hang (one input over 10 s), an out-of-memory (2 GiB RSS, or one allocation
# over it) or a panic fails the script; libFuzzer's reproducer is left in
# fuzz/artifacts/<target>/, replayed with
#   cargo +nightly fuzz run -a TARGET fuzz/artifacts/TARGET/crash-...
# Needs the nightly toolchain (rustup toolchain install nightly); installs
# cargo-fuzz itself. docs/fuzzing.md has the targets and the findings.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
[ $# -gt 0 ] && shift
case "$secs" in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number of seconds, got '$secs'" >&2; exit 2 ;;
esac
all=(gguf onnx profile records store_url llama_bench tokenizer)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  [ -f "fuzz/fuzz_targets/$t.rs" ] || { echo "fuzz.sh: no target '$t' (targets: ${all[*]})" >&2; exit 2; }
done

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is needed (libFuzzer's sanitizer flags): rustup toolchain install nightly" >&2
  exit 2
fi
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "fuzz.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  cargo install --locked --quiet "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

# -a: debug assertions, so arithmetic overflow on a crafted count panics
# here instead of wrapping silently in a release build.
# EDGEBENCH_FUZZ_BUILD=dev builds without optimisation (a build of about 1.5
# minutes instead of 5 on 2 cores, fuzzing several times slower): CI's smoke
# uses it. Debug assertions are on either way.
build=(-a)
case "${EDGEBENCH_FUZZ_BUILD:-release}" in
  release) ;;
  dev) build=(--dev) ;;
  *) echo "fuzz.sh: EDGEBENCH_FUZZ_BUILD must be release or dev, got '$EDGEBENCH_FUZZ_BUILD'" >&2; exit 2 ;;
esac
cargo +nightly fuzz build "${build[@]}"

keep="${EDGEBENCH_FUZZ_KEEP:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="${keep:+$keep/$t}"
  corpus="${corpus:-$work/$t}"
  mkdir -p "$corpus"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds+=("fuzz/seeds/$t")
  [ -d "fuzz/regressions/$t" ] && seeds+=("fuzz/regressions/$t")
  [ "$t" = profile ] && seeds+=(profiles)
  [ "$t" = llama_bench ] && seeds+=(reports/tests/fixtures/llama-bench)
  log="$work/$t.log"
  echo "== fuzz $t for ${secs}s" >&2
  set +e
  cargo +nightly fuzz run "${build[@]}" "$t" "$corpus" ${seeds[@]+"${seeds[@]}"} -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1
  rc=$?
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  took="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
  size="$(find "$corpus" -type f | wc -l)"
  crashes="$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)"
  summary+=("$(printf '%-10s %12s execs %5ss  corpus %5s  artifacts %s  rc %s' "$t" "${runs:-?}" "${took:-?}" "$size" "$crashes" "$rc")")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz.sh: $t failed (rc $rc); the end of its log:" >&2
    tail -40 "$log" >&2
  fi
done
echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failures in: ${failed[*]}; reproducers in fuzz/artifacts/" >&2
  exit 1
fi
