// nst_kernels_internal.h: vector types, unaligned access macros and the dispatch switch the kernels' C files share.
#ifndef NST_KERNELS_INTERNAL_H
#define NST_KERNELS_INTERNAL_H

#include "nst_kernels.h"
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v4 __attribute__((vector_size(16)));
typedef int vi16 __attribute__((vector_size(64)));

// Unaligned loads and stores, one vector move each. Macros, not functions: a function taking
// or returning a v16 would have a different ABI in each instruction set's variant.
#define load16(p) ({ v16 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define load4(p) ({ v4 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define store16(p, v) do { v16 s_ = (v); memcpy((p), &s_, sizeof s_); } while (0)

#if defined(__x86_64__)
#define NST_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define NST_TARGET_AVX2 __attribute__((target("avx2,fma")))
/// Calls `name_avx512`, `name_avx2` or `name_generic` with the argument list `args`, by the
/// instruction set in use, and returns.
#define NST_DISPATCH(name, args)                                                                \
    switch (nst_kernels_isa()) {                                                                \
    case NST_ISA_AVX512: name##_avx512 args; return;                                            \
    case NST_ISA_AVX2: name##_avx2 args; return;                                                \
    default: name##_generic args; return;                                                       \
    }
#else
#define NST_DISPATCH(name, args) name##_generic args; return;
#endif

#endif
