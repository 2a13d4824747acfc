#!/usr/bin/env bash
# edgebench's llama.cpp backend against an independent reference (issue 15
# §2; docs/llama-reference.md): benches/llama_ref, a small llama-bench-like
# program compiled by CMake straight from the llama.cpp that llama-cpp-sys-2
# vendors, and `edgebench run`, interleaved A B B A (reference, edgebench,
# edgebench, reference) so slow drift of the machine cancels out.
#
#   scripts/llama_ref_abba.sh [ROUNDS] [MODEL]
#
# ROUNDS: ABBA rounds (default 3; about 2 minutes each on 2 cores).
# MODEL:  a GGUF file (default: the medium q4_0 synthetic model, written by
#         `edgebench synth` into target/llama_ref/models/).
# Environment: LLAMA_REF_THREADS (2), LLAMA_REF_REPS (5), LLAMA_REF_WARMUP
# (full: both warm up with one whole repetition, the default; llama-bench:
# the reference warms tg up with one token, as llama-bench does),
# LLAMA_REF_MAX_BUSY (10, see below), EDGEBENCH (the binary, default
# target/release/edgebench, built if missing), LLAMA_SRC (the llama.cpp
# tree, default the vendored one in cargo's registry).
#
# Each slot is one process running one test: pp512 (-p 512 -n 0 on both) or
# tg128 (reference -p 0 -n 128; edgebench -p 1 -n 129, whose 128 timed
# single-token decodes are its decode_tps), REPS repetitions after one
# warm-up, THREADS threads, batch 2048 / ubatch 512, F16 KV cache, flash
# attention left to llama.cpp. A round's ratio is edgebench/reference of the
# mean tokens/s of its two B and two A runs. Prints each round and the
# medians; raw outputs stay in target/llama_ref/abba-<time>/. Exits non-zero
# on any failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-3}"
model="${2:-}"
threads="${LLAMA_REF_THREADS:-2}"
reps="${LLAMA_REF_REPS:-5}"
warmup="${LLAMA_REF_WARMUP:-full}"
edgebench="${EDGEBENCH:-$root/target/release/edgebench}"
ref_dir="$root/target/llama_ref"
ref="$ref_dir/llama_ref"

die() {
    echo "llama_ref_abba: error: $*" >&2
    exit 1
}

[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$rounds'"
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || die "LLAMA_REF_REPS must be a positive integer, got '$reps'"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "LLAMA_REF_THREADS must be a positive integer, got '$threads'"
case "$warmup" in
full) ref_warmup=(--warmup-full) ;;
llama-bench) ref_warmup=() ;;
*) die "LLAMA_REF_WARMUP must be full or llama-bench, got '$warmup'" ;;
esac
for tool in cmake python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup.sh installs cmake)"
done

# --- the reference binary -------------------------------------------------
# Configured once (llama.cpp from LLAMA_SRC or cargo's registry), then
# brought up to date on every run (a no-op when nothing changed).
if [[ ! -f "$ref_dir/CMakeCache.txt" ]]; then
    src="${LLAMA_SRC:-}"
    if [[ -z "$src" ]]; then
        version="$(grep -A1 '^name = "llama-cpp-sys-2"$' "$root/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')"
        [[ -n "$version" ]] || die "no llama-cpp-sys-2 in $root/Cargo.lock"
        src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"llama-cpp-sys-2-$version"/llama.cpp 2>/dev/null | head -n1 || true)"
        [[ -n "$src" ]] || die "llama-cpp-sys-2-$version's sources are not in cargo's registry; run 'cargo fetch' or set LLAMA_SRC=/path/to/llama.cpp"
    fi
    echo "llama_ref_abba: configuring the reference (llama.cpp from $src) in $ref_dir" >&2
    mkdir -p "$ref_dir"
    cmake -S "$root/benches/llama_ref" -B "$ref_dir" -DCMAKE_BUILD_TYPE=Release -DLLAMA_SRC="$src" \
        >"$ref_dir/configure.log" 2>&1 || die "cmake configure failed; see $ref_dir/configure.log"
fi
[[ -x "$ref" ]] || echo "llama_ref_abba: building the reference (about 3 minutes on 2 cores)" >&2
cmake --build "$ref_dir" --target llama_ref -j "$(nproc)" >"$ref_dir/build.log" 2>&1 ||
    die "building the reference failed; see $ref_dir/build.log"

# --- edgebench and the model ------------------------------------------------
if [[ ! -x "$edgebench" ]]; then
    [[ -z "${EDGEBENCH:-}" ]] || die "EDGEBENCH=$edgebench is not an executable"
    echo "llama_ref_abba: building edgebench (cargo build --release -p edgebench)" >&2
    (cd "$root" && cargo build --release -p edgebench) || die "cargo build --release -p edgebench failed"
fi
if [[ -z "$model" ]]; then
    model="$ref_dir/models/medium-q4_0.gguf"
    if [[ ! -f "$model" ]]; then
        mkdir -p "$(dirname "$model")"
        "$edgebench" synth --preset medium --quant q4_0 --out "$model" >&2 ||
            die "edgebench synth could not write $model"
    fi
fi
[[ -f "$model" ]] || die "model $model does not exist"

out="$ref_dir/abba-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

# A round counts only when other processes stayed below this share of the
# CPUs during all four of its runs; on a 2-core machine a compiler in the
# background halves a 2-thread run. Contended rounds are shown, left out
# of the medians and run again (at most ROUNDS extra rounds per test).
max_busy="${LLAMA_REF_MAX_BUSY:-10}"
quiet_wait="${LLAMA_REF_QUIET_WAIT:-600}"

# slot KIND TEST LOG: runs the reference (KIND ref) or edgebench (eb) on
# TEST (pp or tg) and prints "TOKENS_PER_S OTHERS_PCT": OTHERS_PCT is the
# CPU time other processes used meanwhile, in percent of all the CPUs.
read -r -d '' slot_py <<'EOF' || true
import json, os, resource, subprocess, sys, time
kind, log, metric, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def busy_s():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal: all but idle and iowait
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")

def child_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

b0, c0, t0 = busy_s(), child_s(), time.monotonic()
with open(log, "w") as out, open(log + ".err", "w") as err:
    rc = subprocess.run(cmd, stdout=out, stderr=err).returncode
wall, others = time.monotonic() - t0, busy_s() - b0 - (child_s() - c0)
if rc != 0:
    sys.exit(f"{kind} exited with status {rc}; see {log}.err")
text = open(log).read()
if kind == "ref":
    tps = json.loads(text.strip().splitlines()[-1])["avg_ts"]
else:
    rec = json.loads(text)[0]
    if rec["status"] != "ok":
        sys.exit(f"edgebench's record has status {rec['status']}: {rec.get('reason')}; see {log}")
    tps = rec["metrics"][metric]["mean"]
print(f"{tps} {max(0.0, 100 * others / (wall * os.cpu_count())):.1f}")
EOF

slot() {
    local kind="$1" test="$2" log="$3" cmd metric=avg_ts
    if [[ "$kind" == ref ]]; then
        cmd=("$ref" -m "$model" -t "$threads" -r "$reps" -b 2048 -ub 512 "${ref_warmup[@]}")
        if [[ "$test" == pp ]]; then cmd+=(-p 512 -n 0); else cmd+=(-p 0 -n 128); fi
    else
        cmd=("$edgebench" run -m "$model" -b llama.cpp -t "$threads" -r "$reps" --warmup 1
            --batch 2048 --ubatch 512 -o json -q)
        # The same flags as llama-bench: edgebench's -p/-n make its pp and tg tests.
        if [[ "$test" == pp ]]; then
            cmd+=(-p 512 -n 0); metric=prefill_tps
        else
            cmd+=(-p 0 -n 128); metric=decode_tps
        fi
    fi
    python3 -c "$slot_py" "$kind" "$log" "$metric" "${cmd[@]}" || die "the $kind run ($test) failed; see $log.err"
}

# Waits (at most quiet_wait seconds) until the CPUs are below max_busy % busy.
wait_quiet() {
    local waited=0 pct
    while :; do
        pct="$(python3 -c '
import os, time
def b():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return sum(v) - v[3] - v[4], sum(v)
b0, t0 = b(); time.sleep(3); b1, t1 = b()
print(int(100 * (b1 - b0) / max(1, t1 - t0)))')"
        ((pct <= max_busy)) && return 0
        ((waited >= quiet_wait)) && {
            echo "llama_ref_abba: still ${pct}% busy after ${waited}s; running anyway" >&2
            return 0
        }
        ((waited == 0)) && echo "llama_ref_abba: CPUs ${pct}% busy; waiting for quiet (up to ${quiet_wait}s)" >&2
        sleep 10
        waited=$((waited + 13))
    done
}

echo "llama_ref_abba: $rounds round(s) of A B B A (A = reference $ref, B = $edgebench)"
echo "model $model, $threads threads, $reps reps, warm-up $warmup, batch 2048, ubatch 512"
printf '%-6s %-6s %9s %9s %9s %9s %8s %8s  %s\n' round test ref_A1 eb_B1 eb_B2 ref_A2 eb/ref others% counted
: >"$out/ratios.tsv"
for t in pp tg; do
    name="$([[ $t == pp ]] && echo pp512 || echo tg128)"
    clean=0
    for ((r = 1; clean < rounds && r <= 2 * rounds; r++)); do
        wait_quiet
        # (assignments, so that a failed slot stops the script under set -e)
        s1="$(slot ref "$t" "$out/$t-r$r-A1.json")"
        s2="$(slot eb "$t" "$out/$t-r$r-B1.json")"
        s3="$(slot eb "$t" "$out/$t-r$r-B2.json")"
        s4="$(slot ref "$t" "$out/$t-r$r-A2.json")"
        read -r a1 o1 <<<"$s1"
        read -r b1 o2 <<<"$s2"
        read -r b2 o3 <<<"$s3"
        read -r a2 o4 <<<"$s4"
        read -r ratio others counted <<<"$(python3 -c "
o = max($o1, $o2, $o3, $o4)
print(f'{($b1 + $b2) / ($a1 + $a2):.4f} {o:.1f} {\"yes\" if o <= $max_busy else \"no\"}')")"
        [[ "$counted" == yes ]] && clean=$((clean + 1))
        printf '%-6s %-6s %9.2f %9.2f %9.2f %9.2f %8s %8s  %s\n' "$r" "$name" "$a1" "$b1" "$b2" "$a2" "$ratio" "$others" "$counted"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$name" "$a1" "$b1" "$b2" "$a2" "$ratio" "$others" "$counted" >>"$out/ratios.tsv"
    done
done

python3 - "$out/ratios.tsv" "$rounds" <<'EOF' || die "too few rounds ran on a quiet machine; stop other work and run again"
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
ok = True
for test in ("pp512", "tg128"):
    ratios = [float(r[6]) for r in rows if r[1] == test and r[8] == "yes"]
    if not ratios:
        print(f"{test}: no round counted (other processes were busy in every one)")
        ok = False
        continue
    short = "" if len(ratios) >= int(sys.argv[2]) else f" (only {len(ratios)} of {sys.argv[2]} rounds were quiet)"
    print(f"{test}: edgebench/reference median {statistics.median(ratios):.4f} over {len(ratios)} round(s): "
          f"{', '.join(f'{x:.4f}' for x in ratios)}{short}")
sys.exit(0 if ok else 1)
EOF
echo "raw outputs: $out"
