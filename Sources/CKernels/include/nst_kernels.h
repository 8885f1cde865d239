// nst_kernels.h: the CPU backend's hand-vectorised C kernels (packed Winograd products), chosen at run time by instruction set.
#ifndef NST_KERNELS_H
#define NST_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Rows of a packed A panel (output channels per block) and columns of a packed B panel (tiles).
enum { NST_PACK_ROWS = 8, NST_PACK_COLS = 16 };

/// Instruction sets the kernels are built for; the best one the processor has is used.
typedef enum {
    NST_ISA_GENERIC = 0,   ///< plain C vectors, any processor
    NST_ISA_AVX2 = 1,      ///< x86-64 with AVX2 and FMA
    NST_ISA_AVX512 = 2,    ///< x86-64 with AVX-512F
} nst_isa;

/// The instruction set the kernels use now.
nst_isa nst_kernels_isa(void);

/// The best instruction set this processor supports.
nst_isa nst_kernels_best_isa(void);

/// Makes the kernels use `isa` (clamped to what the processor supports), or the best one
/// for a negative value; returns the one now in use. For tests and benchmarks.
nst_isa nst_kernels_use_isa(int isa);

/// `m[r][n] = sum_k a[r][k] b[k][n]` for `rows` (a multiple of NST_PACK_ROWS) by `cols`
/// (a multiple of NST_PACK_COLS), with `a` packed as `[rows/8][depth][8]`, `b` as
/// `[cols/16][depth][16]` and `m` row-major with row stride `ldm`.
void nst_packed_gemm(const float *a, const float *b, float *m, long rows, long cols, long depth, long ldm);

/// Winograd F(4x4,3x3) input transform of one channel's band. `pad` holds the band's
/// image rows 4*ty0-1 ..< 4*(ty0+tileRows)+1 with a zero border, row stride `pw` (at least
/// 4*tilesXP+16, the columns past the image zero), column j at pad[1+j]. Writes
/// `v[xi*ci*ntp + (t/16)*ci*16 + t%16]` for the 36 points xi and the tiles t < ntp (ntp a
/// multiple of 16; tiles past tileRows*tilesXP get 0), with `v` already offset to the channel
/// (`+ channel*16`) and `ci` the channels.
void nst_wino4_input(const float *pad, long pw, long tileRows, long tilesXP, float *v, long ci, long ntp);

/// Winograd F(4x4,3x3) output transform of one output channel's band: `m` points at the
/// channel's row of product 0 (`xs` floats between products), `plane` at the channel's output
/// plane (h by w). Writes rows oy0 ..< oy0+4*tileRows, clipped to the plane, each value plus
/// `bias`; then, when `relu` is not 0, values <= 0 become +0 (NaN stays) as the ReLU op does,
/// and, when `mask` (a plane like the output) is not NULL, values whose mask is not above 0
/// become 0, as the ReLU gradient op does.
void nst_wino4_output(const float *m, long xs, float *plane, long h, long w, long oy0, long tileRows, long tilesXP,
                      float bias, int relu, const float *mask);

#ifdef __cplusplus
}
#endif

#endif
