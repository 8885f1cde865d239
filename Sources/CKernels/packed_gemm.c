// packed_gemm.c: the product of NST_PACK_ROWS-row and NST_PACK_COLS-column packed panels, one body built per instruction set.
#include "nst_kernels_internal.h"
#include <stdatomic.h>

/// Floats of B a column block may hold: the block stays in L2 (1-2 MiB per core on the
/// machines measured) while every row block of A passes over it.
#define B_BLOCK_FLOATS (96 * 1024)

/// The body every variant shares: `R` rows at a time against `P` B panels at a time.
/// R * P vector accumulators stay in registers through the whole depth, so each loaded B
/// vector meets R broadcast A values and each A value P vectors. Columns go in blocks that
/// fit L2, so a large A (512x512 weights are 1 MiB) is read once per block, not once per
/// panel.
#define GEMM_BODY(R, P)                                                                         \
    long block = B_BLOCK_FLOATS / (depth > 0 ? depth : 1) / (16 * (P)) * (16 * (P));            \
    if (block < 16 * (P)) block = 16 * (P);                                                     \
    for (long c0 = 0; c0 < cols; c0 += block) {                                                 \
        long c1 = c0 + block < cols ? c0 + block : cols;                                        \
        for (long r0 = 0; r0 < rows; r0 += (R)) {                                               \
            const float *ap = a + (r0 / 8) * depth * 8 + r0 % 8;                                \
            for (long n0 = c0, panels; n0 < c1; n0 += 16 * panels) {                            \
                /* P panels at a time while that many are left, then one at a time. */          \
                panels = (c1 - n0) / 16 >= (P) ? (P) : 1;                                       \
                const float *bp = b + (n0 / 16) * depth * 16;                                   \
                float *mp = m + r0 * ldm + n0;                                                  \
                if (panels == (P)) {                                                            \
                    v16 acc[R][P];                                                              \
                    for (int r = 0; r < (R); r++)                                               \
                        for (int p = 0; p < (P); p++) acc[r][p] = (v16){0};                     \
                    for (long k = 0; k < depth; k++) {                                          \
                        v16 bv[P];                                                              \
                        for (int p = 0; p < (P); p++) bv[p] = load16(bp + p * depth * 16 + k * 16); \
                        for (int r = 0; r < (R); r++) {                                         \
                            float s = ap[k * 8 + r];                                            \
                            for (int p = 0; p < (P); p++) acc[r][p] += s * bv[p];               \
                        }                                                                       \
                    }                                                                           \
                    for (int r = 0; r < (R); r++)                                               \
                        for (int p = 0; p < (P); p++) store16(mp + r * ldm + 16 * p, acc[r][p]); \
                } else {                                                                        \
                    v16 acc[R];                                                                 \
                    for (int r = 0; r < (R); r++) acc[r] = (v16){0};                            \
                    for (long k = 0; k < depth; k++) {                                          \
                        v16 bv = load16(bp + k * 16);                                           \
                        for (int r = 0; r < (R); r++) acc[r] += ap[k * 8 + r] * bv;             \
                    }                                                                           \
                    for (int r = 0; r < (R); r++) store16(mp + r * ldm, acc[r]);                \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

static void gemm_generic(const float *a, const float *b, float *m, long rows, long cols, long depth, long ldm) {
    GEMM_BODY(2, 1)
}

#if defined(__x86_64__)
// 8 rows by 2 panels: 16 of the 32 zmm registers accumulate.
NST_TARGET_AVX512
static void gemm_avx512(const float *a, const float *b, float *m, long rows, long cols, long depth, long ldm) {
    GEMM_BODY(8, 2)
}

// 2 rows by 3 panels: 12 of the 16 ymm registers accumulate (a v16 is two ymm).
NST_TARGET_AVX2
static void gemm_avx2(const float *a, const float *b, float *m, long rows, long cols, long depth, long ldm) {
    GEMM_BODY(4, 1)
}
#endif

nst_isa nst_kernels_best_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return NST_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return NST_ISA_AVX2;
#endif
    return NST_ISA_GENERIC;
}

// -1 until the first call decides; then the instruction set in use.
static _Atomic int chosen = -1;

nst_isa nst_kernels_isa(void) {
    int isa = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (isa < 0) {
        isa = (int)nst_kernels_best_isa();
        atomic_store_explicit(&chosen, isa, memory_order_relaxed);
    }
    return (nst_isa)isa;
}

nst_isa nst_kernels_use_isa(int isa) {
    int best = (int)nst_kernels_best_isa();
    int use = isa < 0 || isa > best ? best : isa;
    atomic_store_explicit(&chosen, use, memory_order_relaxed);
    return (nst_isa)use;
}

void nst_packed_gemm(const float *a, const float *b, float *m, long rows, long cols, long depth, long ldm) {
    NST_DISPATCH(gemm, (a, b, m, rows, cols, depth, ldm))
}
