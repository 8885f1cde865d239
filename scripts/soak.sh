#!/usr/bin/env bash
# soak.sh: long runs on each backend with resident memory sampled, to show it stays flat after warm-up (not in CI).
# Usage: scripts/soak.sh [iterations] [size] [backends...]   (defaults: 2000 64 cpu opencl)
# Prints, per backend, the resident set size (MiB) every 10% of the run and the growth after warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS="${1:-2000}"
SIZE="${2:-64}"
if [ "$#" -gt 2 ]; then BACKENDS=("${@:3}"); else BACKENDS=(cpu opencl); fi
NST=.build/release/nst
[ -x "$NST" ] || swift build -c release --product nst --disable-local-rpath
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for backend in "${BACKENDS[@]}"; do
    # Adam: one evaluation per iteration, and it never stops early (L-BFGS may stop once J
    # stops falling at float precision, which would end the soak before its length).
    "$NST" transfer --content examples/shipwreck.jpg --style examples/starry_night.jpg --size "$SIZE" \
        --iterations "$ITERATIONS" --optimizer adam --device "$backend" --quiet \
        --output "$OUT/$backend.png" --loss-log "$OUT/$backend.csv" &
    pid=$!
    samples=()
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$rss" ] && samples+=("$rss")
        sleep 0.5
    done
    wait "$pid"
    count=${#samples[@]}
    echo "$backend: $ITERATIONS iterations at $SIZE px, $count RSS samples (MiB):"
    line=""
    for i in 0 1 2 3 4 5 6 7 8 9; do
        idx=$(( i * (count - 1) / 9 ))
        line+=" $(( samples[idx] / 1024 ))"
    done
    echo "  $line"
    warm=${samples[$(( count / 10 ))]}
    last=${samples[$(( count - 1 ))]}
    echo "  after warm-up (10% of the run): $(( warm / 1024 )) MiB -> end: $(( last / 1024 )) MiB (growth $(( (last - warm) / 1024 )) MiB)"
done
