#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets (Fuzz/ and the Swift package Fuzz/swift) with AddressSanitizer and runs each in turn.
# Usage: scripts/fuzz.sh [seconds per target] [target...]   (default 60 s; targets: decode_image safetensors pth caffemodel image)
# Corpora grow in .build-fuzz/corpus/<target>/, inputs that crash, leak or run out of memory land in
# .build-fuzz/findings/<target>/ and each run's log in .build-fuzz/logs/<target>.log. Exits 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode_image safetensors pth caffemodel image)
OUT=.build-fuzz
mkdir -p "$OUT/logs"

# The C target: the image decoders of the C shim, compiled with the fuzzer and ASan, against the system libpng and libjpeg
# (and Little CMS, which converts embedded ICC profiles).
clang -g -O1 -fsanitize=fuzzer,address -ISources/CCodecs/include -ISources/CCodecs \
    Fuzz/decode_image.c Sources/CCodecs/codecs.c Sources/CCodecs/png_decode.c Sources/CCodecs/jpeg_decode.c \
    Sources/CCodecs/jpeg_trap.c Sources/CCodecs/icc_convert.c $(pkg-config --cflags --libs libpng libjpeg lcms2) \
    -o "$OUT/decode_image"
# Image seeds: small images of every flavour the image tests cover, made by the shim's own test encoders.
clang -O1 -ISources/CCodecs/include -ISources/CCodecs Fuzz/make_seeds.c Sources/CCodecs/codecs.c \
    Sources/CCodecs/png_encode.c Sources/CCodecs/jpeg_encode.c Sources/CCodecs/jpeg_trap.c \
    Sources/CCodecs/tiff_encode.c Sources/CCodecs/tiff_memory.c \
    $(pkg-config --cflags --libs libpng libjpeg libtiff-4 lcms2) -o "$OUT/make_seeds"

# The Swift targets: every module (the root package's too) instrumented for coverage as
# -sanitize=fuzzer would, under ASan, in its own build folder; libFuzzer is linked without
# its main (Fuzz/swift/Package.swift says why).
export NST_LIBFUZZER
NST_LIBFUZZER="$(clang --print-file-name="libclang_rt.fuzzer_no_main-$(uname -m).a")"
swift build --package-path Fuzz/swift --scratch-path "$OUT/swift" --sanitize=address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp -Xcc -fsanitize=fuzzer-no-link 2>&1 \
    | grep -vE "warning: Cannot export local symbol '__asan" || true
SWIFT_BIN="$OUT/swift/debug"
[ -x "$SWIFT_BIN/fuzz-seeds" ] || { echo "fuzz.sh: the Swift fuzz targets did not build" >&2; exit 1; }

mkdir -p "$OUT/corpus/decode_image" "$OUT/corpus/image"
"$OUT/make_seeds" "$OUT/corpus/decode_image"
"$OUT/make_seeds" "$OUT/corpus/image"
"$SWIFT_BIN/fuzz-seeds" "$OUT/corpus"

found=0
for target in "${TARGETS[@]}"; do
    case "$target" in
        decode_image) binary="$OUT/decode_image" ;;
        safetensors|pth|caffemodel|image) binary="$SWIFT_BIN/fuzz-$target" ;;
        *) echo "fuzz.sh: unknown target '$target'" >&2; exit 2 ;;
    esac
    mkdir -p "$OUT/findings/$target"
    log="$OUT/logs/$target.log"
    echo "== $target: ${SECONDS_PER_TARGET} s"
    # Memory stays bounded: a single allocation or the whole process over 2 GiB is a finding.
    # Swift's own crash handler is off so that libFuzzer's reports the trap and saves the input.
    # A target's dictionary (Fuzz/dict/TARGET.dict), when it has one: the format's magic
    # numbers, opcodes and keys, so mutations reach the offsets, counts and nesting behind them.
    dict=()
    [ -f "Fuzz/dict/$target.dict" ] && dict=(-dict="Fuzz/dict/$target.dict")
    status=0
    SWIFT_BACKTRACE=enable=no "$binary" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=60 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$OUT/findings/$target/" "$OUT/corpus/$target" \
        >"$log" 2>&1 || status=$?
    grep -E "^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$log" || true
    echo "corpus: $(find "$OUT/corpus/$target" -type f | wc -l) files"
    if [ "$status" -ne 0 ]; then
        found=1
        echo "FINDING in $target (exit $status); input in $OUT/findings/$target/, log $log:"
        grep -E "==[0-9]+==ERROR|SUMMARY|Fatal error|out-of-memory|malloc\(|Test unit written" "$log" | head -20 || true
    fi
done
exit "$found"
