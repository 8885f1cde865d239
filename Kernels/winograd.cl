// winograd.cl: Winograd F(2x2,3x3) and F(4x4,3x3) transforms for 3x3, padding-1 convolutions: filters, input tiles and output tiles.
//
// F(2x2,3x3) (the kernels named winograd_*): a convolution becomes 16 matrix products, one
// per point xi of the 4x4 transformed tile:
// M[xi] [O,P] = U[xi] [O,C] x V[xi] [C,P], where P = TB*TX 2x2 output tiles: the band of
// TB tile rows starting at tile row ty0 (the host bounds scratch memory with bands),
// U = G g G^T (filters), V = B^T d B (4x4 input patches starting at (2ty-1, 2tx-1)) and the
// output tile is A^T M A (Lavin and Gray 2015). The 16 products do 2.25x fewer
// multiply-adds than im2col's one.
// Layouts: U [16][rows][cols], V [16][C][P], M [16][O][P], all row-major.

// F(4x4,3x3) (the kernels named winograd4_*):
// As F(2x2), with 4x4 output tiles from 6x6 input patches: a convolution becomes 36
// matrix products M[xi] [O,P] = U[xi] [O,C] x V[xi] [C,P], xi = 6a+b, where P = TB*TX
// 4x4 output tiles (the band of TB tile rows from tile row ty0). 36 multiplies per 16
// outputs, where F(2x2,3x3) needs 64 and im2col 144.
// The matrices are the CPU backend's (CPUDevice+Winograd4.swift, docs/MATH.md), from the
// interpolation points 0, 1, -1, 2, -1/2 and infinity:
//   B^T = [1  3/2  -2   -3/2  1    0]   G = [ 1      0     0   ]   A^T = [1  1  1  1  1     0]
//         [0 -1    -5/2 -1/2  1    0]       [-1/3   -1/3  -1/3 ]         [0  1 -1  2 -1/2   0]
//         [0  1     1/2 -5/2  1    0]       [ 1/3   -1/3   1/3 ]         [0  1  1  4  1/4   0]
//         [0 -1/2  -1    1/2  1    0]       [ 1/15   2/15  4/15]         [0  1 -1  8 -1/8   1]
//         [0  2    -1   -2    1    0]       [-16/15  8/15 -4/15]
//         [0  1     3/2 -2   -3/2  1]       [ 0      0     1   ]
// Layouts: U [36][rows][cols], V [36][C][P], M [36][O][P], all row-major.

// Both variants place the input tiles with WG_V_INDEX and end with wg_epilogue.

// Which channel c and tile p a work-item transforms, and where its values go in V[xi] (at
// xi * stride + at): rows of P tiles per channel ([C][P], the products' B as given; global
// size (C * P, 1)), or, with `panel` > 0, the packed panels gemm.cl's products read
// ([NP/panel][C][panel], NP = P rounded up to whole panels; global size (C * panel,
// NP / panel)), so that no packing pass precedes the products. Neighbouring work-items store
// to neighbouring addresses, and one division and no branch but the range check keep the
// driver vectorising across work-items.
#define WG_V_INDEX(C, P, NP, panel, c, p, stride, at) \
    const int w_ = (panel) > 0 ? (panel) : (P), i_ = (int)get_global_id(0), pi_ = (int)get_global_id(1); \
    if (i_ >= (C) * w_) return; \
    const int c = i_ / w_; \
    const int p = pi_ * w_ + (i_ - c * w_); \
    const size_t stride = (size_t)(C) * (size_t)((panel) > 0 ? (NP) : (P)); \
    const size_t at = (size_t)pi_ * (size_t)(C) * (size_t)w_ + (size_t)i_;

// The fused epilogue of an output value at `at` of its plane: the ReLU (`relu`, as the relu
// kernel: v > 0 ? v : 0) or the ReLU gradient's mask (`hasMask`, as relu_grad: the value
// where mask > 0, else 0), so the fused ops equal the separate ones bit for bit.
inline float wg_epilogue(const float v, const int relu, __global const float* mask, const int hasMask, const size_t at)
{
    const float r = relu ? (v > 0.0f ? v : 0.0f) : v;
    return hasMask ? (mask[at] > 0.0f ? r : 0.0f) : r;
}

// ---- F(2x2,3x3) ----

// U[xi] for weight [O,I,3,3]. flip = 0: the forward filter, U[xi] is [O,I].
// flip = 1: the input gradient's filter w'[i,o,ky,kx] = w[o,i,2-ky,2-kx], U[xi] is [I,O].
// One work-item per (o, i).
__kernel void winograd_filter(__global const float* w, __global float* U, const int O, const int I, const int flip)
{
    const int idx = (int)get_global_id(0);
    if (idx >= O * I) return;
    const int o = idx / I, i = idx - o * I;
    float g[3][3];
    for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx)
            g[ky][kx] = flip ? w[idx * 9 + (2 - ky) * 3 + (2 - kx)] : w[idx * 9 + ky * 3 + kx];
    float t[4][3];   // G g, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
    for (int c = 0; c < 3; ++c) {
        t[0][c] = g[0][c];
        t[1][c] = 0.5f * (g[0][c] + g[1][c] + g[2][c]);
        t[2][c] = 0.5f * (g[0][c] - g[1][c] + g[2][c]);
        t[3][c] = g[2][c];
    }
    const int rows = flip ? I : O, cols = flip ? O : I;
    const int r = flip ? i : o, c = flip ? o : i;
    const size_t plane = (size_t)rows * (size_t)cols, at = (size_t)r * (size_t)cols + (size_t)c;
    for (int a = 0; a < 4; ++a) {   // (G g) G^T, row a
        U[(4 * a + 0) * plane + at] = t[a][0];
        U[(4 * a + 1) * plane + at] = 0.5f * (t[a][0] + t[a][1] + t[a][2]);
        U[(4 * a + 2) * plane + at] = 0.5f * (t[a][0] - t[a][1] + t[a][2]);
        U[(4 * a + 3) * plane + at] = t[a][2];
    }
}

// V[xi][c][p] = (B^T d B)[xi] for the 4x4 patch d of channel c at tile p = (ty-ty0)*TX + tx of the
// [C,H,W] input (zero outside). B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
// One work-item per (c, p), placed as WG_V_INDEX says.
__kernel void winograd_input(__global const float* in, __global float* V, const int C, const int H, const int W,
                             const int ty0, const int TB, const int TX, const int panel, const int NP)
{
    const int P = TB * TX;
    WG_V_INDEX(C, P, NP, panel, c, p, stride, at);
    // A padding column of a packed panel (p >= P) reads only rows past the image: zeros,
    // without a branch that would keep the driver from vectorising across work-items.
    const int ty = ty0 + p / TX, tx = p % TX;
    const int y0 = p < P ? 2 * ty - 1 : H, x0 = 2 * tx - 1;
    __global const float* plane = in + (size_t)c * (size_t)H * (size_t)W;
    float d[4][4];
    for (int r = 0; r < 4; ++r) {
        const int y = y0 + r;
        for (int s = 0; s < 4; ++s) {
            const int x = x0 + s;
            d[r][s] = (y >= 0 && y < H && x >= 0 && x < W) ? plane[y * W + x] : 0.0f;
        }
    }
    float t[4][4];   // B^T d
    for (int s = 0; s < 4; ++s) {
        t[0][s] = d[0][s] - d[2][s];
        t[1][s] = d[1][s] + d[2][s];
        t[2][s] = d[2][s] - d[1][s];
        t[3][s] = d[1][s] - d[3][s];
    }
    for (int r = 0; r < 4; ++r) {   // (B^T d) B, row r
        V[(4 * r + 0) * stride + at] = t[r][0] - t[r][2];
        V[(4 * r + 1) * stride + at] = t[r][1] + t[r][2];
        V[(4 * r + 2) * stride + at] = t[r][2] - t[r][1];
        V[(4 * r + 3) * stride + at] = t[r][1] - t[r][3];
    }
}

// out[o, 2ty+a, 2tx+b] = (A^T M A)[a][b] (+ bias[o] when hasBias) for the tile p = (ty-ty0)*TX + tx,
// A^T = [1 1 1 0; 0 1 -1 -1]; rows and columns past the [O,H,W] output are dropped.
// One work-item per (o, p).
__kernel void winograd_output(__global const float* M, __global float* out, __global const float* bias,
                              const int hasBias, const int O, const int H, const int W, const int ty0, const int TB,
                              const int TX, const int relu, __global const float* mask, const int hasMask)
{
    const int idx = (int)get_global_id(0);
    const int P = TB * TX;
    if (idx >= O * P) return;
    const int o = idx / P, p = idx - o * P, ty = ty0 + p / TX, tx = p % TX;
    const size_t stride = (size_t)O * (size_t)P, at = (size_t)o * (size_t)P + (size_t)p;
    float m[4][4];
    for (int xi = 0; xi < 16; ++xi) m[xi / 4][xi % 4] = M[xi * stride + at];
    float t[2][4];   // A^T m
    for (int s = 0; s < 4; ++s) {
        t[0][s] = m[0][s] + m[1][s] + m[2][s];
        t[1][s] = m[1][s] - m[2][s] - m[3][s];
    }
    const float b = hasBias ? bias[o] : 0.0f;
    const size_t base = (size_t)o * (size_t)H * (size_t)W;
    __global float* plane = out + base;
    for (int a = 0; a < 2; ++a) {
        const int y = 2 * ty + a;
        if (y >= H) break;
        const float v0 = t[a][0] + t[a][1] + t[a][2] + b;
        const float v1 = t[a][1] - t[a][2] - t[a][3] + b;
        const int x = 2 * tx;
        plane[y * W + x] = wg_epilogue(v0, relu, mask, hasMask, base + y * W + x);
        if (x + 1 < W) plane[y * W + x + 1] = wg_epilogue(v1, relu, mask, hasMask, base + y * W + x + 1);
    }
}

// ---- F(4x4,3x3) ----

// G x for three values (a column or a row of g): six values.
inline void wg4_g(const float g0, const float g1, const float g2, float* out)
{
    const float third = 1.0f / 3.0f, fifteenth = 1.0f / 15.0f;
    out[0] = g0;
    out[1] = -third * (g0 + g1 + g2);
    out[2] = third * (g0 - g1 + g2);
    out[3] = fifteenth * (g0 + 2.0f * g1 + 4.0f * g2);
    out[4] = -4.0f * fifteenth * (4.0f * g0 - 2.0f * g1 + g2);
    out[5] = g2;
}

// U[xi] for weight [O,I,3,3]. flip = 0: the forward filter, U[xi] is [O,I].
// flip = 1: the input gradient's filter w'[i,o,ky,kx] = w[o,i,2-ky,2-kx], U[xi] is [I,O].
// One work-item per (o, i).
__kernel void winograd4_filter(__global const float* w, __global float* U, const int O, const int I, const int flip)
{
    const int idx = (int)get_global_id(0);
    if (idx >= O * I) return;
    const int o = idx / I, i = idx - o * I;
    float g[3][3];
    for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx)
            g[ky][kx] = flip ? w[idx * 9 + (2 - ky) * 3 + (2 - kx)] : w[idx * 9 + ky * 3 + kx];
    float t[6][3];   // G g, column by column
    for (int c = 0; c < 3; ++c) {
        float col[6];
        wg4_g(g[0][c], g[1][c], g[2][c], col);
        for (int a = 0; a < 6; ++a) t[a][c] = col[a];
    }
    const int rows = flip ? I : O, cols = flip ? O : I;
    const int r = flip ? i : o, c = flip ? o : i;
    const size_t plane = (size_t)rows * (size_t)cols, at = (size_t)r * (size_t)cols + (size_t)c;
    for (int a = 0; a < 6; ++a) {   // (G g) G^T, row a
        float row[6];
        wg4_g(t[a][0], t[a][1], t[a][2], row);
        for (int b = 0; b < 6; ++b) U[(6 * a + b) * plane + at] = row[b];
    }
}

// B^T x for six scalars x0..x5 into o0..o5 (wg4_bt as a macro on named scalars, so that the
// input transform keeps its 36 values in registers: PoCL vectorises across work-items and
// private arrays indexed through pointers defeated that).
#define WG4_BT(x0, x1, x2, x3, x4, x5, o0, o1, o2, o3, o4, o5) do { \
        const float c_ = (x4) - (x2), e_ = (x3) - (x1); \
        o0 = c_ - (x2) + (x0) - 1.5f * e_; \
        o1 = ((x4) - (x1)) - 0.5f * (x3) - 2.5f * (x2); \
        o2 = ((x4) + (x1)) - 2.5f * (x3) + 0.5f * (x2); \
        o3 = c_ + 0.5f * e_; \
        o4 = c_ - 2.0f * e_; \
        o5 = ((x5) + (x1) - 2.0f * (x3)) + 1.5f * ((x2) - (x4)); \
    } while (0)

// Row r of the patch, transformed along the row (d B): t<r>0..t<r>5.
#define WG4_ROW(r) \
    float t##r##0, t##r##1, t##r##2, t##r##3, t##r##4, t##r##5; \
    { \
        const int y = y0 + r; \
        const bool in = y >= 0 && y < H; \
        __global const float* row = plane + (size_t)(in ? y : 0) * (size_t)W; \
        const float d0 = in && x0 >= 0 ? row[x0] : 0.0f; \
        const float d1 = in && x0 + 1 < W ? row[x0 + 1] : 0.0f; \
        const float d2 = in && x0 + 2 < W ? row[x0 + 2] : 0.0f; \
        const float d3 = in && x0 + 3 < W ? row[x0 + 3] : 0.0f; \
        const float d4 = in && x0 + 4 < W ? row[x0 + 4] : 0.0f; \
        const float d5 = in && x0 + 5 < W ? row[x0 + 5] : 0.0f; \
        WG4_BT(d0, d1, d2, d3, d4, d5, t##r##0, t##r##1, t##r##2, t##r##3, t##r##4, t##r##5); \
    }

// Column j of B^T (d B), stored as V[6i+j].
#define WG4_COLUMN(j) { \
        float v0, v1, v2, v3, v4, v5; \
        WG4_BT(t0##j, t1##j, t2##j, t3##j, t4##j, t5##j, v0, v1, v2, v3, v4, v5); \
        V[(0 + j) * stride + at] = v0; \
        V[(6 + j) * stride + at] = v1; \
        V[(12 + j) * stride + at] = v2; \
        V[(18 + j) * stride + at] = v3; \
        V[(24 + j) * stride + at] = v4; \
        V[(30 + j) * stride + at] = v5; \
    }

// V[xi][c][p] = (B^T d B)[xi] for the 6x6 patch d of channel c starting at (4ty-1, 4tx-1), tile
// p = (ty-ty0)*TX + tx, of the [C,H,W] input (zero outside). One work-item per (c, p),
// placed as WG_V_INDEX says.
__kernel void winograd4_input(__global const float* in, __global float* V, const int C, const int H, const int W,
                              const int ty0, const int TB, const int TX, const int panel, const int NP)
{
    const int P = TB * TX;
    WG_V_INDEX(C, P, NP, panel, c, p, stride, at);
    // A padding column of a packed panel (p >= P) reads only rows past the image: zeros,
    // without a branch that would keep the driver from vectorising across work-items.
    const int ty = ty0 + p / TX, tx = p % TX;
    const int y0 = p < P ? 4 * ty - 1 : H, x0 = 4 * tx - 1;
    __global const float* plane = in + (size_t)c * (size_t)H * (size_t)W;
    WG4_ROW(0) WG4_ROW(1) WG4_ROW(2) WG4_ROW(3) WG4_ROW(4) WG4_ROW(5)
    WG4_COLUMN(0) WG4_COLUMN(1) WG4_COLUMN(2) WG4_COLUMN(3) WG4_COLUMN(4) WG4_COLUMN(5)
}

// A^T x for six scalars x0..x5 into o0..o3 (wg4_at as a macro on named scalars, as WG4_BT).
#define WG4_AT(x0, x1, x2, x3, x4, x5, o0, o1, o2, o3) do { \
        const float s_ = (x1) + (x2), d_ = (x1) - (x2); \
        o0 = (x0) + s_ + (x3) + (x4); \
        o1 = d_ + 2.0f * (x3) - 0.5f * (x4); \
        o2 = s_ + 4.0f * (x3) + 0.25f * (x4); \
        o3 = d_ + 8.0f * (x3) - 0.125f * (x4) + (x5); \
    } while (0)

// Column j of A^T M: u0j..u3j.
#define WG4_OUT_COLUMN(j) \
    float u0##j, u1##j, u2##j, u3##j; \
    WG4_AT(M[(0 + j) * stride + at], M[(6 + j) * stride + at], M[(12 + j) * stride + at], \
           M[(18 + j) * stride + at], M[(24 + j) * stride + at], M[(30 + j) * stride + at], u0##j, u1##j, u2##j, u3##j);

// Output row a of the tile, (A^T M) A, plus the bias; rows and columns past the image dropped.
#define WG4_OUT_ROW(a) \
    if (4 * ty + a < H) { \
        float r0, r1, r2, r3; \
        WG4_AT(u##a##0, u##a##1, u##a##2, u##a##3, u##a##4, u##a##5, r0, r1, r2, r3); \
        const size_t at_ = base + (size_t)(4 * ty + a) * (size_t)W + x; \
        __global float* row = out + at_; \
        row[0] = wg_epilogue(r0 + b, relu, mask, hasMask, at_); \
        if (x + 1 < W) row[1] = wg_epilogue(r1 + b, relu, mask, hasMask, at_ + 1); \
        if (x + 2 < W) row[2] = wg_epilogue(r2 + b, relu, mask, hasMask, at_ + 2); \
        if (x + 3 < W) row[3] = wg_epilogue(r3 + b, relu, mask, hasMask, at_ + 3); \
    }

// out[o, 4ty+a, 4tx+b] = (A^T M A)[a][b] (+ bias[o] when hasBias) for the tile p = (ty-ty0)*TX + tx;
// rows and columns past the [O,H,W] output are dropped. One work-item per (o, p).
__kernel void winograd4_output(__global const float* M, __global float* out, __global const float* bias,
                               const int hasBias, const int O, const int H, const int W, const int ty0, const int TB,
                               const int TX, const int relu, __global const float* mask, const int hasMask)
{
    const int idx = (int)get_global_id(0);
    const int P = TB * TX;
    if (idx >= O * P) return;
    const int o = idx / P, p = idx - o * P, ty = ty0 + p / TX, tx = p % TX;
    const size_t stride = (size_t)O * (size_t)P, at = (size_t)o * (size_t)P + (size_t)p;
    WG4_OUT_COLUMN(0) WG4_OUT_COLUMN(1) WG4_OUT_COLUMN(2) WG4_OUT_COLUMN(3) WG4_OUT_COLUMN(4) WG4_OUT_COLUMN(5)
    const float b = hasBias ? bias[o] : 0.0f;
    const size_t base = (size_t)o * (size_t)H * (size_t)W;
    const int x = 4 * tx;
    WG4_OUT_ROW(0) WG4_OUT_ROW(1) WG4_OUT_ROW(2) WG4_OUT_ROW(3)
}
