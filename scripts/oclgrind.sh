#!/usr/bin/env bash
# oclgrind.sh: the project's OpenCL kernels under Oclgrind's memory and data-race checks (`make oclgrind`, a CI step): the op table's OpenCL cases on every path, then a small transfer through the executable under --check-api, which must exit 0.
#
# Oclgrind (Debian's `oclgrind`) simulates an OpenCL device and reports every read or write
# outside a buffer and every data race between work-items, by kernel and work-item. One
# simulator thread: its race detector corrupts its own heap with several. Its device is the
# only one the process sees, and nst gives it the project's GEMM kernels (gemm.cl) as it
# does CPU drivers, so every matrix product is the project's too (CLBlast's host code
# corrupts the heap under this driver: OpenCLGemmEngine.untuned). Fails on any report.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v oclgrind > /dev/null || { echo "oclgrind.sh: oclgrind not found (Debian: apt-get install oclgrind)" >&2; exit 1; }
BIN=.build/debug
[ -x "$BIN/StyleTransferPackageTests.xctest" ] && [ -x "$BIN/nst" ] || swift build --build-tests --disable-local-rpath
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0

# 1. The op table's OpenCL cases: every op (convolutions and their gradients with fused
#    ReLUs, pooling, normalisation, Gram, the losses, TV, masks, warp, the tiles' crop and
#    window ops, the optimisers' vector ops) on the plain, banded (im2col in row bands),
#    Winograd F(2x2) and F(4x4) paths, and the fused-ReLU paths.
CASES=StyleTransferTests.OpTableTests/testReferenceOpenCL,StyleTransferTests.OpTableTests/testGradientsOpenCL
CASES=$CASES,StyleTransferTests.FusedReLUTests/testOpenCLPathsMatchTheSeparateOps
echo "oclgrind: op table (memory and data-race checks)"
if ! NST_CACHE_DIR="$WORK/cache" oclgrind --num-threads 1 --data-races --log "$WORK/ops.log" \
        "$BIN/StyleTransferPackageTests.xctest" "$CASES" > "$WORK/ops.out" 2>&1; then
    grep -E "error|failed" "$WORK/ops.out" | head -20 >&2 || true
    echo "oclgrind: the op table failed under Oclgrind" >&2
    status=1
fi
grep -E "^Test Case .*(passed|failed)" "$WORK/ops.out" || true
if [ -s "$WORK/ops.log" ]; then
    head -40 "$WORK/ops.log" >&2
    echo "oclgrind: Oclgrind reported the above in the op table" >&2
    status=1
fi

# 2. A 16-px transfer through relu2_1 with API checks: it must write its image and exit 0.
#    --no-autotune: the automatic tune's timings mean nothing on a simulator, and it ran to
#    its 20-s limit there (its kernels are the op table's, checked above).
echo "oclgrind: a transfer through the executable (API checks, exit status)"
ROOT=$(pwd)
if ! (cd "$WORK" && NST_CACHE_DIR="$WORK/cache" oclgrind --num-threads 1 --check-api --log "$WORK/transfer.log" \
        "$ROOT/$BIN/nst" transfer --content "$ROOT/examples/shipwreck.jpg" --style "$ROOT/examples/starry_night.jpg" \
        --output out.png --size 16 --iterations 2 --content-layers relu2_1 --style-layers relu1_1,relu2_1 \
        --device opencl --no-autotune --quiet); then
    echo "oclgrind: the transfer under Oclgrind did not exit 0" >&2
    status=1
fi
[ -f "$WORK/out.png" ] || { echo "oclgrind: the transfer wrote no image" >&2; status=1; }
if [ -s "$WORK/transfer.log" ]; then
    head -40 "$WORK/transfer.log" >&2
    echo "oclgrind: Oclgrind reported the above in the transfer" >&2
    status=1
fi
[ $status -eq 0 ] && echo "oclgrind: no invalid access, data race or API error reported"
exit $status
