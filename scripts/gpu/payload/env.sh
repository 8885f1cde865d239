# env.sh: sourced by the bundle's scripts; points the dynamic linker at the bundle's libraries.
# Sets NST_BUNDLE (the bundle folder) and LD_LIBRARY_PATH. lib/compat (libstdc++, libgcc_s from the
# build machine) is added only when the bundled nst does not start with the machine's own:
# a newer system libstdc++ must win, or the machine's other C++ libraries (OpenCL drivers) break.
NST_BUNDLE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NST_BUNDLE
if [ -z "${NST_BUNDLE_LIBS_SET:-}" ]; then
    _nst_path="$NST_BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if ! LD_LIBRARY_PATH="$_nst_path" "$NST_BUNDLE/libexec/nst" --help >/dev/null 2>&1; then
        _nst_path="$NST_BUNDLE/lib:$NST_BUNDLE/lib/compat${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    export LD_LIBRARY_PATH="$_nst_path"
    export NST_BUNDLE_LIBS_SET=1
    unset _nst_path
fi
