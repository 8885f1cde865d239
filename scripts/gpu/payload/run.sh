#!/usr/bin/env bash
# run.sh: on the GPU machine, registers the NVIDIA OpenCL driver if needed, lists the devices, runs
# the OpenCL parity tests and `nst bench`, and writes all output and a summary to a results folder.
#
# Usage: ./run.sh [--results DIR] [--tune] [--skip-tests] [--skip-bench] [--skip-cpu-bench]
#   --results DIR     where the output goes (default: results/<UTC time> in this folder)
#   --tune            run `nst tune` on the OpenCL device before the bench (when nst has it)
#   --skip-cpu-bench  bench only the OpenCL device
# Environment:
#   NST_BENCH_ARGS          extra arguments for `nst bench` (e.g. "--size 256 --evaluations 10")
#   NST_TUNE_ARGS           extra arguments for `nst tune` (e.g. "--budget-seconds 60")
#   NST_NVIDIA_OPENCL_LIB   NVIDIA's OpenCL library to register (default libnvidia-opencl.so.1)
#   NST_TEST_OPENCL_DEVICE  device index for the tests (default: the one `nst devices` marks with *)
#   NST_CACHE_DIR           nst's cache (default: cache/ in this folder, so tuning stays with it)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "run.sh: error: $*" >&2; exit 2; }
[ -x "$here/libexec/nst" ] || die "$here/libexec/nst is missing: run this script from an unpacked bundle"

results="$here/results/$(date -u +%Y%m%dT%H%M%SZ)"
tune=0 skip_tests=0 skip_bench=0 skip_cpu_bench=0
while [ $# -gt 0 ]; do
    case "$1" in
        --results) [ $# -ge 2 ] || die "--results needs a folder"; results=$2; shift 2 ;;
        --tune) tune=1; shift ;;
        --skip-tests) skip_tests=1; shift ;;
        --skip-bench) skip_bench=1; shift ;;
        --skip-cpu-bench) skip_cpu_bench=1; shift ;;
        -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
mkdir -p "$results" || die "cannot create the results folder $results"
results=$(cd "$results" && pwd)
case "$results" in "$here/results/"*) ln -sfn "$results" "$here/results/latest" ;; esac

# Everything printed from here on also goes to run.log.
exec > >(tee -a "$results/run.log") 2>&1
tee_pid=$!

summary=()
failed=0
record() { summary+=("$(printf '%-14s %s' "$1" "$2")"); }
fail() { record "$1" "FAILED: $2"; failed=$((failed + 1)); }
section() { printf '\n=== %s\n' "$*"; }
# True when nst has subcommand NAME: `nst NAME --help` falls back to the root help when it has not.
has_command() { "$nst" "$1" --help 2>&1 | grep -qE "USAGE: nst $1( |\$)"; }
# Runs a command with its output shown and saved to FILE; returns its exit status.
capture() {  # file, command...
    local file=$1 rc
    shift
    set +e
    "$@" 2>&1 | tee "$file"
    rc=${PIPESTATUS[0]}
    set -e
    return "$rc"
}

# --- Machine and glibc -------------------------------------------------------------------------
section "machine"
glibc_min=$(cat "$here/libexec/glibc-min")
glibc_have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
{
    echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host:   $(uname -n) ($(uname -srm))"
    echo "os:     $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}" || echo unknown)"
    echo "glibc:  ${glibc_have:-unknown} (bundle needs $glibc_min or newer)"
    echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), $(getconf _NPROCESSORS_ONLN) logical cores"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu:    /'
    else
        echo "gpu:    nvidia-smi not found"
    fi
    echo "bundle: $(sed -n 's/^commit: *//p' "$here/BUILD-INFO.txt")"
} | tee "$results/machine.txt"
if [ -n "$glibc_have" ] && [ "$(printf '%s\n%s\n' "$glibc_min" "$glibc_have" | sort -V | head -n 1)" != "$glibc_min" ]; then
    die "this machine has glibc $glibc_have but the bundle needs $glibc_min or newer; build the bundle on an older distribution"
fi

source "$here/libexec/env.sh"
export NST_CACHE_DIR="${NST_CACHE_DIR:-$here/cache}"
nst="$here/libexec/nst"
"$nst" --help >/dev/null 2>&1 || { "$nst" --help || true; die "the bundled nst does not start (see the message above)"; }

# --- OpenCL driver registration ----------------------------------------------------------------
# The OpenCL loader finds drivers through *.icd files in /etc/OpenCL/vendors. Driver installs
# without the nvidia-opencl-icd package (containers, runfile installs) lack NVIDIA's file, so a
# private folder with it and the machine's other files is given to the loader instead (no root).
section "OpenCL driver registration"
nvidia_lib=${NST_NVIDIA_OPENCL_LIB:-libnvidia-opencl.so.1}
nvidia_found=""
case "$nvidia_lib" in
    /*) [ -e "$nvidia_lib" ] && nvidia_found=$nvidia_lib ;;
    *)  nvidia_found=$({ /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true; } \
            | awk -v n="$nvidia_lib" '$1 == n {print $NF; exit}')
        if [ -z "$nvidia_found" ]; then
            for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
                [ -e "$d/$nvidia_lib" ] && { nvidia_found="$d/$nvidia_lib"; break; }
            done
        fi ;;
esac
if [ -n "$nvidia_found" ]; then
    echo "NVIDIA OpenCL library: $nvidia_found"
else
    echo "warning: $nvidia_lib was not found: is the NVIDIA driver installed with its OpenCL part"
    echo "         (in a container: NVIDIA_DRIVER_CAPABILITIES must include compute)? Set"
    echo "         NST_NVIDIA_OPENCL_LIB to its full path if it lives elsewhere."
fi
system_vendors=/etc/OpenCL/vendors
if [ -n "${OCL_ICD_VENDORS:-}" ]; then
    echo "OCL_ICD_VENDORS is already set ($OCL_ICD_VENDORS): left as it is"
    record "ICD" "OCL_ICD_VENDORS given: $OCL_ICD_VENDORS"
elif grep -qs 'libnvidia-opencl' "$system_vendors"/*.icd; then
    echo "NVIDIA is registered in $system_vendors"
    record "ICD" "NVIDIA registered in $system_vendors"
else
    private="$results/opencl-vendors"
    mkdir -p "$private"
    others=0
    for icd in "$system_vendors"/*.icd; do
        [ -e "$icd" ] || continue
        cp "$icd" "$private/"
        others=$((others + 1))
    done
    echo "$nvidia_lib" > "$private/nvidia.icd"
    export OCL_ICD_VENDORS="$private"
    echo "no NVIDIA entry in $system_vendors: registered $nvidia_lib in $private (with the $others other .icd files found)"
    record "ICD" "NVIDIA registered privately in $private (+$others system ICDs)"
fi
[ -n "$nvidia_found" ] || record "NVIDIA lib" "not found ($nvidia_lib)"

# --- Devices -----------------------------------------------------------------------------------
section "clinfo -l"
if [ -x "$here/libexec/clinfo" ]; then
    capture "$results/clinfo.txt" "$here/libexec/clinfo" -l || true
    "$here/libexec/clinfo" > "$results/clinfo-full.txt" 2>&1 || true
fi

section "nst devices"
if capture "$results/devices.txt" "$nst" devices; then
    record "devices" "ok ($(grep -cE '^[* ] opencl:[0-9]+' "$results/devices.txt" || true) OpenCL device(s))"
else
    fail "devices" "nst devices exited with an error"
fi
if "$nst" devices --help 2>/dev/null | grep -q -- '--check'; then
    section "nst devices --check"
    if capture "$results/devices-check.txt" "$nst" devices --check; then
        record "devices check" "ok"
    else
        fail "devices check" "nst devices --check (see devices-check.txt)"
    fi
fi
# The device `--device auto` picks (marked *) is the first OpenCL GPU; else the first OpenCL device.
cl_index=$(sed -nE 's/^\* opencl:([0-9]+).*/\1/p' "$results/devices.txt" | head -n 1)
[ -n "$cl_index" ] || cl_index=$(sed -nE 's/^[* ] opencl:([0-9]+).*/\1/p' "$results/devices.txt" | head -n 1)
if [ -n "$cl_index" ]; then
    echo "OpenCL device used below: opencl:$cl_index ($(grep -E "^[* ] opencl:$cl_index " "$results/devices.txt" | sed -E 's/^[* ] opencl:[0-9]+ +//'))"
    grep -E "^\* opencl:$cl_index " "$results/devices.txt" >/dev/null || record "device" "warning: no OpenCL GPU found; using opencl:$cl_index"
else
    echo "no OpenCL device found"
    record "device" "no OpenCL device found"
fi

# --- OpenCL parity tests -----------------------------------------------------------------------
xctest="$here/libexec/StyleTransferPackageTests.xctest"
if [ "$skip_tests" = 0 ]; then
    section "OpenCL tests"
    if ! "$xctest" --list-tests > "$results/tests-list.txt" 2>&1; then
        cat "$results/tests-list.txt"
        fail "tests" "the test binary did not start (see tests-list.txt)"
    else
        # Class names (Module.Class) of every listed test, then those starting with OpenCL or
        # defined in the OpenCL test folder (libexec/opencl-test-classes.txt, made at build time).
        listed=$(grep -oE '^StyleTransferTests\.[A-Za-z0-9_]+' "$results/tests-list.txt" | sort -u || true)
        classes=$( { grep -E '^StyleTransferTests\.OpenCL' <<<"$listed" || true
                     grep -xF -f "$here/libexec/opencl-test-classes.txt" <<<"$listed" 2>/dev/null || true; } | sort -u)
        if [ -z "$classes" ]; then
            echo "this build has no OpenCL test classes"
            fail "tests" "no OpenCL test classes in this build (is the OpenCL backend merged?)"
        else
            echo "classes: $(echo $classes)"
            filter=$(echo $classes | tr ' ' ',')
            # CI=1 makes a missing OpenCL device fail the tests instead of skipping them.
            if capture "$results/tests.txt" env CI=1 NST_TEST_OPENCL_DEVICE="${NST_TEST_OPENCL_DEVICE:-${cl_index:-0}}" \
                    "$xctest" "$filter"; then
                record "tests" "ok: $(grep -E 'Executed [0-9]+ test' "$results/tests.txt" | tail -n 1 | sed 's/^[[:space:]]*//')"
            else
                fail "tests" "$(grep -E 'Executed [0-9]+ test' "$results/tests.txt" | tail -n 1 | sed 's/^[[:space:]]*//') (see tests.txt)"
            fi
            # Tests print a parity line each time an op's worst difference grows: keep the last.
            grep -E '^parity ' "$results/tests.txt" \
                | awk -F': max ' '{ if (!($1 in line)) order[++n] = $1; line[$1] = $0 } END { for (i = 1; i <= n; i++) print line[order[i]] }' \
                > "$results/parity.txt" || true
        fi
    fi
fi

# --- Tuning and bench --------------------------------------------------------------------------
read -r -a bench_args <<<"${NST_BENCH_ARGS:-}"
read -r -a tune_args <<<"${NST_TUNE_ARGS:-}"
if [ "$tune" = 1 ]; then
    section "nst tune"
    if ! has_command tune; then
        record "tune" "missing: this nst has no tune command"
    elif [ -z "$cl_index" ]; then
        record "tune" "skipped: no OpenCL device"
    elif capture "$results/tune.txt" "$nst" tune --device "opencl:$cl_index" "${tune_args[@]}"; then
        record "tune" "ok (parameters stored in $NST_CACHE_DIR)"
    else
        fail "tune" "nst tune (see tune.txt)"
    fi
fi
if [ "$skip_bench" = 0 ]; then
    if ! has_command bench; then
        section "nst bench"
        echo "this nst has no bench command: nothing to measure"
        record "bench" "missing: this nst has no bench command"
    else
        json=0
        "$nst" bench --help 2>/dev/null | grep -q -- '--json' && json=1
        bench() {  # name, device
            section "nst bench --device $2 ${bench_args[*]}"
            if capture "$results/bench-$1.txt" "$nst" bench --device "$2" "${bench_args[@]}"; then
                record "bench $1" "ok (bench-$1.txt)"
                if [ "$json" = 1 ] && ! "$nst" bench --device "$2" --json "${bench_args[@]}" > "$results/bench-$1.json" 2>"$results/bench-$1.json.err"; then
                    fail "bench $1 json" "nst bench --json (see bench-$1.json.err)"
                fi
                [ -s "$results/bench-$1.json.err" ] || rm -f "$results/bench-$1.json.err"
            else
                fail "bench $1" "nst bench --device $2 (see bench-$1.txt)"
            fi
        }
        if [ -n "$cl_index" ]; then bench opencl "opencl:$cl_index"; else record "bench opencl" "skipped: no OpenCL device"; fi
        [ "$skip_cpu_bench" = 1 ] || bench cpu cpu
    fi
fi

# --- Summary -----------------------------------------------------------------------------------
section "summary (also in $results/summary.txt)"
{
    sed -n 's/^gpu: *//p' "$results/machine.txt" | sed 's/^/gpu:           /'
    printf '%s\n' "${summary[@]}"
    if [ -s "$results/parity.txt" ]; then echo "parity (worst per op):"; sed 's/^/  /' "$results/parity.txt"; fi
    [ "$failed" = 0 ] && echo "result:        all steps passed" || echo "result:        $failed step(s) failed"
} | tee "$results/summary.txt"
echo "results: $results"

exec >&- 2>&-
wait "$tee_pid" 2>/dev/null || true
[ "$failed" = 0 ]
