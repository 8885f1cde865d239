#!/usr/bin/env bash
# run.sh: on the GPU machine, registers the NVIDIA OpenCL driver if needed, lists the devices, runs
# `nst selftest` (the op table against nst's naive reference), `nst bench` with the defaults, the
# shipped tuning, the automatic tune and `nst tune`, the PyTorch peer on CUDA (FP32 and TF32) and one
# video frame, and writes all output and a summary to a results folder.
#
# Usage: ./run.sh [--results DIR] [--no-tune] [--skip-tests] [--skip-bench] [--skip-cpu-bench] [--skip-peer] [--skip-video]
#   --results DIR     where the output goes (default: results/<UTC time> in this folder)
#   --no-tune         skip `nst tune` and the bench after it
#   --skip-cpu-bench  bench only the OpenCL device
# Environment:
#   NST_BENCH_ARGS          extra arguments for `nst bench` (default "--size 256 --size 512 --evaluations 5")
#   NST_TUNE_ARGS           extra arguments for `nst tune` (default "--budget-seconds 60")
#   NST_PEER_ARGS           sizes and steps of the peer (default "256 20" and "512 10")
#   NST_VIDEO_ARGS          arguments of the video frames' `nst video` (default "--size 256 --iterations 50")
#   NST_NVIDIA_OPENCL_LIB   NVIDIA's OpenCL library to register (default libnvidia-opencl.so.1)
#   NST_CACHE_DIR           nst's cache (default: cache/ in the results folder; each bench gets its own)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "run.sh: error: $*" >&2; exit 2; }
[ -x "$here/libexec/nst" ] || die "$here/libexec/nst is missing: run this script from an unpacked bundle"

results="$here/results/$(date -u +%Y%m%dT%H%M%SZ)"
tune=1 skip_tests=0 skip_bench=0 skip_cpu_bench=0 skip_peer=0 skip_video=0
while [ $# -gt 0 ]; do
    case "$1" in
        --results) [ $# -ge 2 ] || die "--results needs a folder"; results=$2; shift 2 ;;
        --tune) tune=1; shift ;;
        --no-tune) tune=0; shift ;;
        --skip-peer) skip_peer=1; shift ;;
        --skip-video) skip_video=1; shift ;;
        --skip-tests) skip_tests=1; shift ;;
        --skip-bench) skip_bench=1; shift ;;
        --skip-cpu-bench) skip_cpu_bench=1; shift ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
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
export NST_CACHE_DIR="${NST_CACHE_DIR:-$results/cache}"
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

# --- Self-test: every op and code path against the naive reference ----------------------------
if [ "$skip_tests" = 0 ]; then
    for dev in ${cl_index:+opencl:$cl_index} cpu; do
        section "nst selftest --device $dev"
        if capture "$results/selftest-${dev%%:*}.txt" "$nst" selftest --device "$dev"; then
            record "selftest ${dev%%:*}" "passed ($(grep -oE '[0-9]+ cases' "$results/selftest-${dev%%:*}.txt" | head -n 1))"
        else
            fail "selftest ${dev%%:*}" "see selftest-${dev%%:*}.txt"
        fi
    done
fi

# --- Bench: defaults, shipped entry, automatic tune, nst tune ----------------------------------
read -r -a bench_args <<<"${NST_BENCH_ARGS:---size 256 --size 512 --evaluations 5}"
read -r -a tune_args <<<"${NST_TUNE_ARGS:---budget-seconds 60}"
# One bench with its own cache folder (so no tuning file carries over) and environment.
bench() {  # name, device, cache, env assignments...
    local name=$1 dev=$2 cache=$3
    shift 3
    section "nst bench --device $dev ${bench_args[*]} ($name)"
    mkdir -p "$cache"
    local start end
    start=$(date +%s)
    if capture "$results/bench-$name.txt" env NST_CACHE_DIR="$cache" "$@" "$nst" bench --device "$dev" "${bench_args[@]}"; then
        end=$(date +%s)
        record "bench $name" "ok in $((end - start)) s (bench-$name.txt)"
        env NST_CACHE_DIR="$cache" "$@" "$nst" bench --device "$dev" --json --no-breakdown "${bench_args[@]}" \
            > "$results/bench-$name.json" 2>/dev/null || rm -f "$results/bench-$name.json"
    else
        fail "bench $name" "nst bench --device $dev (see bench-$name.txt)"
    fi
}
if [ "$skip_bench" = 0 ]; then
    if [ -n "$cl_index" ]; then
        dev="opencl:$cl_index"
        bench opencl-defaults "$dev" "$results/cache-defaults" NST_TUNING=defaults NST_AUTOTUNE=0
        bench opencl-shipped "$dev" "$results/cache-shipped" NST_TUNING=shipped NST_AUTOTUNE=0
        # An empty cache as a new user has it: a short transfer (its automatic tune runs first,
        # and the whole cold command is timed), then the bench with the file it stored.
        section "nst transfer, cold: empty cache, automatic tune (--size 256 --iterations 5)"
        start=$(date +%s.%N)
        if capture "$results/transfer-cold.txt" env NST_CACHE_DIR="$results/cache-autotune" "$nst" transfer \
                --content "$here/samples/shipwreck.jpg" --style "$here/samples/starry_night.jpg" --size 256 --iterations 5 \
                --device "$dev" --output "$results/transfer-cold.png" --loss-log "$results/transfer-cold.csv"; then
            end=$(date +%s.%N)
            record "transfer cold" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s for the whole command (transfer-cold.txt)"
        else
            fail "transfer cold" "see transfer-cold.txt"
        fi
        bench opencl-autotune "$dev" "$results/cache-autotune"
        if [ "$tune" = 1 ]; then
            section "nst tune --device $dev ${tune_args[*]}"
            if capture "$results/tune.txt" env NST_CACHE_DIR="$results/cache-tuned" "$nst" tune --device "$dev" "${tune_args[@]}"; then
                record "tune" "ok"
                bench opencl-tuned "$dev" "$results/cache-tuned"
            else
                fail "tune" "nst tune (see tune.txt)"
            fi
        fi
    else
        record "bench opencl" "skipped: no OpenCL device"
    fi
    [ "$skip_cpu_bench" = 1 ] || bench cpu cpu "$results/cache-cpu"
fi

# --- The PyTorch peer on CUDA, FP32 and TF32 ---------------------------------------------------
if [ "$skip_peer" = 0 ]; then
    py=$(command -v python3 || command -v python || true)
    if [ -z "$py" ] || [ ! -f "$here/peer/peer_torch_nst.py" ]; then
        record "peer" "skipped: no python3 or no peer script in the bundle"
    else
        peer_runs=("${NST_PEER_ARGS:-256 20}" "512 10")
        [ -n "${NST_PEER_ARGS:-}" ] && peer_runs=("$NST_PEER_ARGS")
        for tf32 in 0 1; do
            for run in "${peer_runs[@]}"; do
                read -r psize psteps <<<"$run"
                label="peer-cuda-$([ "$tf32" = 1 ] && echo tf32 || echo fp32)-$psize"
                section "PyTorch peer: CUDA, TF32=$tf32, $psize px, $psteps steps"
                if capture "$results/$label.txt" env PEER_DEVICE=cuda PEER_TF32="$tf32" "$py" "$here/peer/peer_torch_nst.py" "$psize" "$psteps" adam; then
                    record "$label" "$(tail -n 1 "$results/$label.txt")"
                else
                    fail "$label" "see $label.txt"
                fi
            done
        done
    fi
fi

# --- One video frame ---------------------------------------------------------------------------
if [ "$skip_video" = 0 ] && [ -n "$cl_index" ] && has_command video; then
    read -r -a video_args <<<"${NST_VIDEO_ARGS:---size 256 --iterations 50}"
    section "nst video: 3 frames (${video_args[*]}) on opencl:$cl_index"
    frames="$results/video-frames"
    mkdir -p "$frames" "$results/video-out"
    for k in 1 2 3; do cp "$here/samples/shipwreck.jpg" "$frames/frame-$k.jpg"; done
    start=$(date +%s.%N)
    if capture "$results/video.txt" env NST_CACHE_DIR="$results/cache-autotune" "$nst" video --content "$frames" --style "$here/samples/starry_night.jpg" \
            --output "$results/video-out/frame-%03d.png" "${video_args[@]}" --device "opencl:$cl_index"; then
        end=$(date +%s.%N)
        record "video" "3 frames (${video_args[*]}; the first frame 2x the iterations) in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
    else
        fail "video" "see video.txt"
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
