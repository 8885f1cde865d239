// wino4_transforms.c: Winograd F(4x4,3x3) input and output transforms, sixteen tiles per vector, one body built per instruction set.
#include "nst_kernels_internal.h"

// The matrices are those of NSTCPU's CPUDevice+Winograd4.swift (points 0, 1, -1, 2, -1/2, inf).

/// `B^T d` for one column of six vectors (or `d B` for one row), into o[0..5].
#define BT6(d0, d1, d2, d3, d4, d5, o)                                                          \
    do {                                                                                        \
        v16 c_ = (d4) - (d2), e_ = (d3) - (d1);                                                 \
        (o)[0] = c_ - (d2) + (d0) - 1.5f * e_;                                                  \
        (o)[1] = ((d4) - (d1)) - 0.5f * (d3) - 2.5f * (d2);                                     \
        (o)[2] = ((d4) + (d1)) - 2.5f * (d3) + 0.5f * (d2);                                     \
        (o)[3] = c_ + 0.5f * e_;                                                                \
        (o)[4] = c_ - 2.0f * e_;                                                                \
        (o)[5] = ((d5) + (d1) - 2.0f * (d3)) + 1.5f * ((d2) - (d4));                            \
    } while (0)

/// `A^T m` for one column of six vectors (or `m A` for one row), into o[0..3].
#define AT6(m0, m1, m2, m3, m4, m5, o)                                                          \
    do {                                                                                        \
        v16 s_ = (m1) + (m2), t_ = (m1) - (m2);                                                 \
        (o)[0] = (m0) + s_ + (m3) + (m4);                                                       \
        (o)[1] = t_ + 2.0f * (m3) - 0.5f * (m4);                                                \
        (o)[2] = s_ + 4.0f * (m3) + 0.25f * (m4);                                               \
        (o)[3] = t_ + 8.0f * (m3) - 0.125f * (m4) + (m5);                                       \
    } while (0)

/// Column k (0-3) of sixteen adjacent tiles from the 64 floats a|b|c|e of one row: the
/// elements k, k+4, ..., k+60, one per lane.
#define COLUMN16(a, b, c, e, k)                                                                 \
    __builtin_shufflevector(                                                                    \
        __builtin_shufflevector(a, b, k, k + 4, k + 8, k + 12, k + 16, k + 20, k + 24, k + 28), \
        __builtin_shufflevector(c, e, k, k + 4, k + 8, k + 12, k + 16, k + 20, k + 24, k + 28), \
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/// Input transform. Lane j of a vector is tile t+j of the band (tiles numbered along the
/// padded tile rows); its 6x6 window starts at pad[(4*ty)*pw + 4*tx]. Sixteen tiles in one
/// row come from five loads and deinterleaving shuffles; otherwise four segments of four
/// tiles (tilesXP is a multiple of 4, so a segment never crosses a row). Lanes past nt are 0.
#define INPUT_BODY                                                                              \
    long nt = tileRows * tilesXP, xs = ci * ntp;                                                \
    for (long t = 0; t < ntp; t += 16) {                                                        \
        v16 rows[6][6];                                                                         \
        long ty = t / tilesXP, tx = t % tilesXP;                                                \
        int whole = t + 16 <= nt && tx + 16 <= tilesXP;                                         \
        for (int r = 0; r < 6; r++) {                                                           \
            v16 d[6];                                                                           \
            if (whole) {                                                                        \
                const float *p = pad + (4 * ty + r) * pw + 4 * tx;                              \
                v16 a = load16(p), b = load16(p + 16), c = load16(p + 32), e = load16(p + 48);  \
                v16 f = load16(p + 64);                                                         \
                d[0] = COLUMN16(a, b, c, e, 0);                                                 \
                d[1] = COLUMN16(a, b, c, e, 1);                                                 \
                d[2] = COLUMN16(a, b, c, e, 2);                                                 \
                d[3] = COLUMN16(a, b, c, e, 3);                                                 \
                /* Columns 4 and 5 are columns 0 and 1 of the next tile. */                     \
                d[4] = __builtin_shufflevector(d[0], f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,  \
                                               13, 14, 15, 16);                                 \
                d[5] = __builtin_shufflevector(d[1], f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,  \
                                               13, 14, 15, 17);                                 \
            } else {                                                                            \
                for (int c = 0; c < 6; c++) d[c] = (v16){0};                                    \
                for (int s = 0; s < 4 && t + 4 * s < nt; s++) {                                \
                    long ts = t + 4 * s, tys = ts / tilesXP, txs = ts % tilesXP;                \
                    const float *p = pad + (4 * tys + r) * pw + 4 * txs;                        \
                    for (int k = 0; k < 4; k++)                                                 \
                        for (int c = 0; c < 6; c++) d[c][4 * s + k] = p[4 * k + c];             \
                }                                                                               \
            }                                                                                   \
            BT6(d[0], d[1], d[2], d[3], d[4], d[5], rows[r]);                                   \
        }                                                                                       \
        float *dst = v + (t / 16) * ci * 16;                                                    \
        for (int j = 0; j < 6; j++) {                                                           \
            v16 col[6];                                                                         \
            BT6(rows[0][j], rows[1][j], rows[2][j], rows[3][j], rows[4][j], rows[5][j], col);   \
            for (int i = 0; i < 6; i++) store16(dst + (6 * i + j) * xs, col[i]);                \
        }                                                                                       \
    }

#define INPUT_ARGS const float *pad, long pw, long tileRows, long tilesXP, float *v, long ci, long ntp

static void input_generic(INPUT_ARGS) { INPUT_BODY }
#if defined(__x86_64__)
NST_TARGET_AVX512 static void input_avx512(INPUT_ARGS) { INPUT_BODY }
NST_TARGET_AVX2 static void input_avx2(INPUT_ARGS) { INPUT_BODY }
#endif

void nst_wino4_input(INPUT_ARGS) { NST_DISPATCH(input, (pad, pw, tileRows, tilesXP, v, ci, ntp)) }

/// Output transform of one output channel's band: `A^T M A + bias` per tile (then max(., 0)
/// with `relu`, and 0 where `mask` is not positive), clipped to the image. Sixteen tiles in one row whose 64 columns lie inside
/// the image are stored as four interleaved vectors per output row; others value by value.
#define OUTPUT_BODY                                                                             \
    long nt = tileRows * tilesXP;                                                               \
    for (long t = 0; t < nt; t += 16) {                                                         \
        v16 s[6][4], o[4][4];                                                                   \
        for (int j = 0; j < 6; j++) {                                                           \
            const float *p = m + j * xs + t;                                                    \
            AT6(load16(p), load16(p + 6 * xs), load16(p + 12 * xs), load16(p + 18 * xs),        \
                load16(p + 24 * xs), load16(p + 30 * xs), s[j]);                                \
        }                                                                                       \
        for (int i = 0; i < 4; i++) {                                                           \
            AT6(s[0][i], s[1][i], s[2][i], s[3][i], s[4][i], s[5][i], o[i]);                    \
            for (int c = 0; c < 4; c++) {                                                       \
                o[i][c] += bias;                                                                \
                /* As the ReLU op: -0 becomes +0, NaN stays NaN. */                             \
                if (relu) o[i][c] = (v16)((vi16)o[i][c] & ~(o[i][c] <= 0.0f));                  \
            }                                                                                   \
        }                                                                                       \
        long ty = t / tilesXP, tx = t % tilesXP;                                                \
        if (t + 16 <= nt && tx + 16 <= tilesXP && 4 * (tx + 16) <= w) {                         \
            for (int i = 0; i < 4 && oy0 + 4 * ty + i < h; i++) {                               \
                v16 p01a = __builtin_shufflevector(o[i][0], o[i][1], 0, 16, 1, 17, 2, 18, 3,    \
                                                   19, 4, 20, 5, 21, 6, 22, 7, 23);             \
                v16 p01b = __builtin_shufflevector(o[i][0], o[i][1], 8, 24, 9, 25, 10, 26, 11,  \
                                                   27, 12, 28, 13, 29, 14, 30, 15, 31);         \
                v16 p23a = __builtin_shufflevector(o[i][2], o[i][3], 0, 16, 1, 17, 2, 18, 3,    \
                                                   19, 4, 20, 5, 21, 6, 22, 7, 23);             \
                v16 p23b = __builtin_shufflevector(o[i][2], o[i][3], 8, 24, 9, 25, 10, 26, 11,  \
                                                   27, 12, 28, 13, 29, 14, 30, 15, 31);         \
                long at = (oy0 + 4 * ty + i) * w + 4 * tx;                                      \
                v16 q[4] = {                                                                    \
                    __builtin_shufflevector(p01a, p23a, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, \
                                            7, 22, 23),                                         \
                    __builtin_shufflevector(p01a, p23a, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, \
                                            29, 14, 15, 30, 31),                                \
                    __builtin_shufflevector(p01b, p23b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, \
                                            7, 22, 23),                                         \
                    __builtin_shufflevector(p01b, p23b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, \
                                            29, 14, 15, 30, 31)};                               \
                for (int k = 0; k < 4; k++) {                                                   \
                    /* As the ReLU gradient op: 0 where the mask is not positive (or NaN). */   \
                    if (mask) q[k] = (v16)((vi16)q[k] & (load16(mask + at + 16 * k) > 0.0f));  \
                    store16(plane + at + 16 * k, q[k]);                                         \
                }                                                                               \
            }                                                                                   \
        } else {                                                                                \
            for (int lane = 0; lane < 16 && t + lane < nt; lane++) {                            \
                long tl = t + lane, oy = oy0 + 4 * (tl / tilesXP), ox = 4 * (tl % tilesXP);     \
                for (int i = 0; i < 4 && oy + i < h; i++)                                       \
                    for (int c = 0; c < 4 && ox + c < w; c++) {                                 \
                        long at = (oy + i) * w + ox + c;                                        \
                        plane[at] = !mask || mask[at] > 0.0f ? o[i][c][lane] : 0.0f;            \
                    }                                                                           \
            }                                                                                   \
        }                                                                                       \
    }

#define OUTPUT_ARGS const float *m, long xs, float *plane, long h, long w, long oy0, long tileRows, long tilesXP, \
                    float bias, int relu, const float *mask

static void output_generic(OUTPUT_ARGS) { OUTPUT_BODY }
#if defined(__x86_64__)
NST_TARGET_AVX512 static void output_avx512(OUTPUT_ARGS) { OUTPUT_BODY }
NST_TARGET_AVX2 static void output_avx2(OUTPUT_ARGS) { OUTPUT_BODY }
#endif

void nst_wino4_output(OUTPUT_ARGS) {
    NST_DISPATCH(output, (m, xs, plane, h, w, oy0, tileRows, tilesXP, bias, relu, mask))
}
