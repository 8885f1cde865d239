#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets under Fuzz/ with AddressSanitizer and runs each for a while (not in CI by default).
# Usage: scripts/fuzz.sh [seconds per target]   (default 60). Corpora grow in .build-fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
OUT=.build-fuzz
mkdir -p "$OUT/corpus/decode_image"
# The image decoders: the C shim itself, compiled with the fuzzer and ASan, against the system libpng and libjpeg
# (and Little CMS, which converts embedded ICC profiles).
clang -g -O1 -fsanitize=fuzzer,address -ISources/CCodecs/include -ISources/CCodecs \
    Fuzz/decode_image.c Sources/CCodecs/codecs.c Sources/CCodecs/png_decode.c Sources/CCodecs/jpeg_decode.c \
    Sources/CCodecs/jpeg_trap.c Sources/CCodecs/icc_convert.c $(pkg-config --cflags --libs libpng libjpeg lcms2) \
    -o "$OUT/decode_image"
# Seeds: small images of every flavour the image tests cover, made by the shim's own test encoders.
clang -O1 -ISources/CCodecs/include -ISources/CCodecs Fuzz/make_seeds.c Sources/CCodecs/codecs.c \
    Sources/CCodecs/png_encode.c Sources/CCodecs/jpeg_encode.c Sources/CCodecs/jpeg_trap.c \
    $(pkg-config --cflags --libs libpng libjpeg) -o "$OUT/make_seeds"
"$OUT/make_seeds" "$OUT/corpus/decode_image"
"$OUT/decode_image" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 "$OUT/corpus/decode_image" 2>&1 | grep -E "^(#[0-9]+ +(DONE|INITED)|stat::|==[0-9]+==ERROR|SUMMARY)" || true
