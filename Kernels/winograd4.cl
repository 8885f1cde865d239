// winograd4.cl: Winograd F(4x4,3x3) transforms for 3x3, padding-1 convolutions: filters, input tiles and output tiles.
//
// As winograd.cl, with 4x4 output tiles from 6x6 input patches: a convolution becomes 36
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

// B^T d for six values (a column or a row of d): six values. Only additions round: every
// coefficient is a short binary fraction.
inline void wg4_bt(const float d0, const float d1, const float d2, const float d3, const float d4, const float d5,
                   float* out)
{
    const float c = d4 - d2, e = d3 - d1;
    out[0] = c - d2 + d0 - 1.5f * e;
    out[1] = (d4 - d1) - 0.5f * d3 - 2.5f * d2;
    out[2] = (d4 + d1) - 2.5f * d3 + 0.5f * d2;
    out[3] = c + 0.5f * e;
    out[4] = c - 2.0f * e;
    out[5] = (d5 + d1 - 2.0f * d3) + 1.5f * (d2 - d4);
}

// A^T m for six values: four values.
inline void wg4_at(const float m0, const float m1, const float m2, const float m3, const float m4, const float m5,
                   float* out)
{
    const float s = m1 + m2, t = m1 - m2;
    out[0] = m0 + s + m3 + m4;
    out[1] = t + 2.0f * m3 - 0.5f * m4;
    out[2] = s + 4.0f * m3 + 0.25f * m4;
    out[3] = t + 8.0f * m3 - 0.125f * m4 + m5;
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

// V[xi][c][p] = (B^T d B)[xi] for the 6x6 patch d of channel c starting at (4ty-1, 4tx-1), tile
// p = (ty-ty0)*TX + tx, of the [C,H,W] input (zero outside). One work-item per (c, p).
__kernel void winograd4_input(__global const float* in, __global float* V, const int C, const int H, const int W,
                              const int ty0, const int TB, const int TX)
{
    const int idx = (int)get_global_id(0);
    const int P = TB * TX;
    if (idx >= C * P) return;
    const int c = idx / P, p = idx - c * P, ty = ty0 + p / TX, tx = p % TX;
    const int y0 = 4 * ty - 1, x0 = 4 * tx - 1;
    __global const float* plane = in + (size_t)c * (size_t)H * (size_t)W;
    float t[6][6];   // d B: each row of the patch transformed along the row
    for (int r = 0; r < 6; ++r) {
        const int y = y0 + r;
        float d[6];
        for (int s = 0; s < 6; ++s) {
            const int x = x0 + s;
            d[s] = (y >= 0 && y < H && x >= 0 && x < W) ? plane[y * W + x] : 0.0f;
        }
        wg4_bt(d[0], d[1], d[2], d[3], d[4], d[5], t[r]);
    }
    const size_t stride = (size_t)C * (size_t)P, at = (size_t)c * (size_t)P + (size_t)p;
    for (int j = 0; j < 6; ++j) {   // B^T (d B), column j
        float col[6];
        wg4_bt(t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j], col);
        for (int i = 0; i < 6; ++i) V[(6 * i + j) * stride + at] = col[i];
    }
}

// out[o, 4ty+a, 4tx+b] = (A^T M A)[a][b] (+ bias[o] when hasBias) for the tile p = (ty-ty0)*TX + tx;
// rows and columns past the [O,H,W] output are dropped. One work-item per (o, p).
__kernel void winograd4_output(__global const float* M, __global float* out, __global const float* bias,
                               const int hasBias, const int O, const int H, const int W, const int ty0, const int TB,
                               const int TX)
{
    const int idx = (int)get_global_id(0);
    const int P = TB * TX;
    if (idx >= O * P) return;
    const int o = idx / P, p = idx - o * P, ty = ty0 + p / TX, tx = p % TX;
    const size_t stride = (size_t)O * (size_t)P, at = (size_t)o * (size_t)P + (size_t)p;
    float t[4][6];   // A^T M, column by column
    for (int j = 0; j < 6; ++j) {
        float col[4];
        wg4_at(M[j * stride + at], M[(6 + j) * stride + at], M[(12 + j) * stride + at], M[(18 + j) * stride + at],
               M[(24 + j) * stride + at], M[(30 + j) * stride + at], col);
        for (int a = 0; a < 4; ++a) t[a][j] = col[a];
    }
    const float b = hasBias ? bias[o] : 0.0f;
    __global float* plane = out + (size_t)o * (size_t)H * (size_t)W;
    const int x = 4 * tx;
    for (int a = 0; a < 4; ++a) {   // (A^T M) A, row a
        const int y = 4 * ty + a;
        if (y >= H) break;
        float row[4];
        wg4_at(t[a][0], t[a][1], t[a][2], t[a][3], t[a][4], t[a][5], row);
        for (int s = 0; s < 4 && x + s < W; ++s) plane[y * W + x + s] = row[s] + b;
    }
}
