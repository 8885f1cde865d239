#!/usr/bin/env bash
# bundle.sh: builds dist/nst-gpu/, a folder that runs `nst selftest`, `nst bench` and the PyTorch peer
# on a Linux x86_64 machine with no Swift toolchain and no network (see scripts/gpu/README.md).
#
# Usage: scripts/gpu/bundle.sh [--out DIR] [--no-tar] [--peer FILE]
#   --out DIR    bundle folder to (re)create (default: dist/nst-gpu in the repository)
#   --no-tar     do not write DIR.tar.xz next to the folder
#   --peer FILE  the PyTorch peer script to include (default: ../shared/bench/peer_torch_nst.py if present)
# Environment: SWIFT (default: swift). Fails when the archive exceeds 60 MiB (the GPU machine takes 64).
set -euo pipefail

die() { echo "bundle.sh: error: $*" >&2; exit 1; }
note() { echo "bundle.sh: $*"; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
payload="$repo/scripts/gpu/payload"
out="$repo/dist/nst-gpu"
make_tar=1
peer="$repo/../shared/bench/peer_torch_nst.py"
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a folder"; out=$2; shift 2 ;;
        --no-tar) make_tar=0; shift ;;
        --peer) [ $# -ge 2 ] || die "--peer needs a file"; peer=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
[ "$out" != / ] && [ "$out" != "$repo" ] || die "refusing to use '$out' as the bundle folder"

swift=${SWIFT:-swift}
for tool in "$swift" ldd readelf objdump strip tar xz; do
    command -v "$tool" >/dev/null || die "'$tool' is not on PATH (needed to build the bundle)"
done
[ "$(uname -m)" = x86_64 ] || die "the bundle is meant for x86_64; this machine is $(uname -m)"
[ -d "$payload" ] || die "missing $payload (the bundle's run.sh and wrappers)"
# The static Foundation links libcurl (FoundationNetworking, which `nst weights` downloads
# through): the linker needs its development files, which a plain build does not.
pkg-config --exists libcurl \
    || die "libcurl's development files are missing (the static Swift runtime links libcurl): apt-get install libcurl4-openssl-dev"

cd "$repo"

# 1. Build: nst in release with the Swift runtime linked in. The checks the test binary used to
#    carry (83 MB with its runtime) are `nst selftest` now: the op table against the naive reference.
#    Without FFmpeg (NST_WITHOUT_FFMPEG, see Package.swift): the codecs Debian's FFmpeg links
#    would take 25 of the 64 MiB; the bundle's video frame reads and writes frame folders. Its own
#    build folder, so the usual release build keeps FFmpeg.
scratch="$repo/.build-gpu-bundle"
note "building nst (release, static Swift runtime, without FFmpeg) in $scratch"
NST_WITHOUT_FFMPEG=1 "$swift" build -c release --static-swift-stdlib --product nst --disable-local-rpath --scratch-path "$scratch" \
    || die "release build of nst failed"
bin_dir=$(NST_WITHOUT_FFMPEG=1 "$swift" build -c release --scratch-path "$scratch" --show-bin-path)
nst_bin="$bin_dir/nst"
[ -x "$nst_bin" ] || die "no nst binary at $nst_bin after the build"

# 2. Fresh bundle folder.
rm -rf "$out"
mkdir -p "$out/libexec" "$out/lib/compat" "$out/samples" "$out/peer"

# strip --strip-debug keeps the symbol table (readable crash backtraces), drops DWARF.
install_binary() {  # source, destination
    cp -L "$1" "$2"
    strip --strip-debug "$2" || die "strip failed on $2"
    chmod 755 "$2"
}
install_binary "$nst_bin" "$out/libexec/nst"
if command -v clinfo >/dev/null; then
    install_binary "$(command -v clinfo)" "$out/libexec/clinfo"
else
    note "warning: clinfo is not installed here; the bundle will lack its independent OpenCL listing"
fi

# 3. Shared libraries. glibc's own libraries come from the target machine (they must match its
#    kernel and ld.so); libstdc++/libgcc_s go to lib/compat, used only when the machine's own are
#    missing or too old (a newer system libstdc++ must win, or its other C++ libraries break).
is_glibc() {
    case "$1" in
        linux-vdso.so.*|ld-linux*.so.*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*\
        |libutil.so.*|libresolv.so.*|libanl.so.*|libmvec.so.*|libnsl.so.*|libcrypt.so.*) return 0 ;;
    esac
    return 1
}
copy_lib() {  # soname, resolved path
    local dest="$out/lib"
    case "$1" in libstdc++.so.*|libgcc_s.so.*) dest="$out/lib/compat" ;; esac
    [ -e "$dest/$1" ] || cp -L "$2" "$dest/$1"
}
# Copies every non-glibc library that `ldd FILE` resolves (ldd lists the whole closure).
copy_deps() {  # file
    local line soname path
    while IFS= read -r line; do
        case "$line" in
            *"=> not found"*) die "$(basename "$1") needs ${line%% *} which is not installed here" ;;
            *" => /"*)
                soname=$(echo "$line" | awk '{print $1}')
                path=$(echo "$line" | awk '{print $3}')
                is_glibc "$soname" || copy_lib "$soname" "$path" ;;
        esac
    done < <(ldd "$1")
}
# Full path of an installed library, from the dynamic linker's cache.
find_system_lib() {  # soname
    local ldconfig path
    ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
    path=$("$ldconfig" -p 2>/dev/null | awk -v n="$1" '$1 == n && /x86-64/ {print $NF; exit}')
    [ -n "$path" ] || die "$1 is not installed here (install ocl-icd-libopencl1 and libclblast1)"
    echo "$path"
}

# OpenCL loader and CLBlast always travel, whether or not this build of nst links them yet.
for soname in libOpenCL.so.1 libclblast.so.1; do
    path=$(find_system_lib "$soname")
    copy_lib "$soname" "$path"
    copy_deps "$path"
done
copy_deps "$out/libexec/nst"
[ -e "$out/libexec/clinfo" ] && copy_deps "$out/libexec/clinfo"
ldd "$out/libexec/nst" | grep -q 'libavcodec' && die "nst still links FFmpeg: NST_WITHOUT_FFMPEG did not take (see Package.swift)"
# nst must not need the toolchain: no Swift runtime library may have been copied for it.
if LD_LIBRARY_PATH= ldd "$out/libexec/nst" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libXCTest|/opt/swift'; then
    die "nst still links the Swift runtime dynamically (see above); --static-swift-stdlib did not take"
fi
# Libraries are stripped of their debug sections too (the Debian packages ship them stripped,
# but a locally built one may not be).
for f in "$out"/lib/*.so* "$out"/lib/compat/*.so*; do
    [ -e "$f" ] || continue
    strip --strip-debug "$f" 2>/dev/null || true
    chmod 644 "$f"
done

# 4. What run.sh measures with besides nst: two sample images (the video frame and a transfer)
#    and the PyTorch peer's script (the GPU machine has PyTorch but cannot fetch anything).
for image in shipwreck.jpg starry_night.jpg; do
    cp "$repo/examples/$image" "$out/samples/" || die "examples/$image is missing"
done
if [ -f "$peer" ]; then
    cp "$peer" "$out/peer/peer_torch_nst.py"
else
    note "warning: no peer script at $peer (--peer FILE): run.sh will skip the PyTorch peer"
fi

# 5. The oldest glibc the bundle runs on: the highest GLIBC_x.y symbol version any file asks for
#    (lib/compat apart: it is used only where the machine's libstdc++ is too old, see env.sh).
glibc_needed() {  # files...
    local f
    for f in "$@"; do
        [ -f "$f" ] && readelf -W --version-info "$f" 2>/dev/null | grep -oE 'Name: GLIBC_[0-9]+\.[0-9]+' | sed 's/Name: GLIBC_//'
    done | sort -t. -k1,1n -k2,2n | tail -n 1
}
glibc_min=$(glibc_needed "$out"/libexec/* "$out"/lib/*.so*)
glibc_compat=$(glibc_needed "$out"/lib/compat/*.so*)
[ -n "$glibc_min" ] || die "could not read the glibc versions the binaries need (readelf)"
echo "$glibc_min" > "$out/libexec/glibc-min"

# 6. Scripts and a description of the build.
cp "$payload/run.sh" "$payload/nst" "$out/"
cp "$payload/env.sh" "$out/libexec/"
cp "$repo/scripts/gpu/README.md" "$out/README.md"
chmod 755 "$out/run.sh" "$out/nst"
{
    echo "built:        $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
    echo "commit:       $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "swift:        $("$swift" --version 2>/dev/null | head -n 1)"
    echo "glibc needed: $glibc_min or newer (${glibc_compat:-?} where lib/compat's libstdc++ is used)"
    echo "nst:          release, Swift runtime static, without FFmpeg (frame folders only); checks: nst selftest"
} > "$out/BUILD-INFO.txt"

# 7. Smoke test with the toolchain hidden: the bundle's nst must start and pass its self-test.
clean_env=(env -i PATH=/usr/bin:/bin HOME="${HOME:-/tmp}")
"${clean_env[@]}" "$out/nst" --help >/dev/null \
    || die "the bundled nst does not start without the toolchain (run $out/nst --help to see why)"
"${clean_env[@]}" "$out/nst" selftest --device cpu >/dev/null \
    || die "the bundled nst selftest fails on the CPU backend (run $out/nst selftest --device cpu)"
if "${clean_env[@]}" bash -c "source '$out/libexec/env.sh' && ldd '$out/libexec/nst'" \
        | grep -E '/opt/swift|not found'; then
    die "a bundled binary still resolves a library from the toolchain or misses one (see above)"
fi

if [ "$make_tar" = 1 ]; then
    XZ_OPT=-9 tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
    bytes=$(stat -c %s "$out.tar.xz")
    note "archive: $out.tar.xz ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
    [ "$bytes" -le $((60 * 1048576)) ] || die "the archive is over 60 MiB: it will not reach the GPU machine (64 MiB per call)"
fi
note "bundle: $out ($(du -sh "$out" | cut -f1)); needs glibc $glibc_min or newer on the target"
