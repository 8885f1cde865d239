#!/usr/bin/env bash
# bundle.sh: builds dist/nst-gpu/, a folder that runs `nst` and the OpenCL parity tests on a Linux
# x86_64 machine with no Swift toolchain and no network (see scripts/gpu/README.md).
#
# Usage: scripts/gpu/bundle.sh [--out DIR] [--no-tar]
#   --out DIR   bundle folder to (re)create (default: dist/nst-gpu in the repository)
#   --no-tar    do not write DIR.tar.gz next to the folder
# Environment: SWIFT (default: swift).
set -euo pipefail

die() { echo "bundle.sh: error: $*" >&2; exit 1; }
note() { echo "bundle.sh: $*"; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
payload="$repo/scripts/gpu/payload"
out="$repo/dist/nst-gpu"
make_tar=1
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a folder"; out=$2; shift 2 ;;
        --no-tar) make_tar=0; shift ;;
        -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
[ "$out" != / ] && [ "$out" != "$repo" ] || die "refusing to use '$out' as the bundle folder"

swift=${SWIFT:-swift}
for tool in "$swift" ldd readelf objdump strip tar; do
    command -v "$tool" >/dev/null || die "'$tool' is not on PATH (needed to build the bundle)"
done
[ "$(uname -m)" = x86_64 ] || die "the bundle is meant for x86_64; this machine is $(uname -m)"
[ -d "$payload" ] || die "missing $payload (the bundle's run.sh and wrappers)"
# The static Foundation links libcurl (FoundationNetworking, which `nst weights` downloads
# through): the linker needs its development files, which a plain build does not.
pkg-config --exists libcurl \
    || die "libcurl's development files are missing (the static Swift runtime links libcurl): apt-get install libcurl4-openssl-dev"

cd "$repo"

# 1. Builds: nst in release with the Swift runtime linked in; the tests in debug, because they
#    use @testable import (a release test build would need -enable-testing everywhere).
note "building nst (release, static Swift runtime)"
"$swift" build -c release --static-swift-stdlib --product nst \
    || die "release build of nst failed"
note "building the test bundle (debug)"
"$swift" build --build-tests || die "debug build of the tests failed"
bin_dir=$("$swift" build -c release --show-bin-path)
test_dir=$("$swift" build --show-bin-path)
nst_bin="$bin_dir/nst"
xctest_bin="$test_dir/StyleTransferPackageTests.xctest"
[ -x "$nst_bin" ] || die "no nst binary at $nst_bin after the build"
[ -x "$xctest_bin" ] || die "no test binary at $xctest_bin after the build"

# 2. Fresh bundle folder.
rm -rf "$out"
mkdir -p "$out/libexec" "$out/lib/compat"

# strip --strip-debug keeps the symbol table (readable crash backtraces), drops DWARF.
install_binary() {  # source, destination
    cp -L "$1" "$2"
    strip --strip-debug "$2" || die "strip failed on $2"
    chmod 755 "$2"
}
install_binary "$nst_bin" "$out/libexec/nst"
install_binary "$xctest_bin" "$out/libexec/StyleTransferPackageTests.xctest"
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
# The test binary links the Swift runtime, Foundation and XCTest dynamically (no static XCTest
# exists): ldd run in the build environment finds them in the toolchain, and they are copied too.
copy_deps "$out/libexec/StyleTransferPackageTests.xctest"

# nst must not need the toolchain: no Swift runtime library may have been copied for it.
if LD_LIBRARY_PATH= ldd "$out/libexec/nst" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libXCTest|/opt/swift'; then
    die "nst still links the Swift runtime dynamically (see above); --static-swift-stdlib did not take"
fi
for f in "$out"/lib/*.so* "$out"/lib/compat/*.so*; do
    [ -e "$f" ] && chmod 644 "$f"
done

# 4. The test classes defined in the OpenCL and op-table test folders (names need not start
#    with OpenCL; the op table runs every case on OpenCL too); run.sh adds every class whose
#    name starts with OpenCL from the binary's own listing.
: > "$out/libexec/opencl-test-classes.txt"
if [ -d Tests/StyleTransferTests/OpenCL ]; then
    grep -hoE 'class[[:space:]]+[A-Za-z0-9_]+[[:space:]]*:[[:space:]]*XCTestCase' \
        Tests/StyleTransferTests/OpenCL/*.swift Tests/StyleTransferTests/OpTable/*.swift 2>/dev/null \
        | sed -E 's/class[[:space:]]+([A-Za-z0-9_]+).*/StyleTransferTests.\1/' \
        | sort -u > "$out/libexec/opencl-test-classes.txt" || true
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
    echo "nst:          release, Swift runtime static; tests: debug, Swift runtime in lib/"
} > "$out/BUILD-INFO.txt"

# 7. Smoke test with the toolchain hidden: the bundle's nst and test binary must start.
clean_env=(env -i PATH=/usr/bin:/bin HOME="${HOME:-/tmp}")
"${clean_env[@]}" "$out/nst" --help >/dev/null \
    || die "the bundled nst does not start without the toolchain (run $out/nst --help to see why)"
"${clean_env[@]}" bash -c "source '$out/libexec/env.sh' && '$out/libexec/StyleTransferPackageTests.xctest' --list-tests" >/dev/null \
    || die "the bundled test binary does not start without the toolchain"
if "${clean_env[@]}" bash -c "source '$out/libexec/env.sh' && ldd '$out/libexec/nst' '$out/libexec/StyleTransferPackageTests.xctest'" \
        | grep -E '/opt/swift|not found'; then
    die "a bundled binary still resolves a library from the toolchain or misses one (see above)"
fi

if [ "$make_tar" = 1 ]; then
    tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
    note "archive: $out.tar.gz ($(du -h "$out.tar.gz" | cut -f1))"
fi
note "bundle: $out ($(du -sh "$out" | cut -f1)); needs glibc $glibc_min or newer on the target"
