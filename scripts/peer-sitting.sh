#!/usr/bin/env bash
# peer-sitting.sh: one sitting of `nst bench --device cpu` against the PyTorch peer, alternated, with medians and ratios (BENCHMARKS.md, issue "Speed II").
# Usage: scripts/peer-sitting.sh PYTHON PEER_SCRIPT [rounds] [size...]
#   PYTHON       a Python with torch and torchvision (e.g. a venv made as ../shared/bench/README.md says)
#   PEER_SCRIPT  peer_torch_nst.py
#   rounds       alternations of nst and the peer per size (default 3); sizes default to 256 512.
# Prints one line per run and, per size, the medians and their ratio. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="$1"; PEER="$2"; ROUNDS="${3:-3}"; shift $(( $# < 3 ? $# : 3 ))
SIZES=("$@"); [ ${#SIZES[@]} -eq 0 ] && SIZES=(256 512)
NST="${NST:-.build/release/nst}"
[ -x "$NST" ] || swift build -c release --product nst --disable-local-rpath
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "sitting: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), nst $(git rev-parse --short HEAD)"
for size in "${SIZES[@]}"; do
  ours=(); theirs=()
  for round in $(seq "$ROUNDS"); do
    line=$("$NST" bench --device cpu --size "$size" --evaluations 5 --no-breakdown 2>&1 | grep "s per evaluation")
    ours+=("$(sed -E 's/.*: ([0-9.]+) s per evaluation.*/\1/' <<<"$line")")
    echo "round $round nst   $line"
    peer=$("$PYTHON" "$PEER" "$size" 5 adam)
    theirs+=("$(sed -E 's/.*s_per_eval=([0-9.]+).*/\1/' <<<"$peer")")
    echo "round $round torch $peer (load $(cut -d' ' -f1 /proc/loadavg))"
  done
  a=$(printf '%s\n' "${ours[@]}" | median); b=$(printf '%s\n' "${theirs[@]}" | median)
  echo "size $size: nst median $a s, PyTorch median $b s, ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')"
done
