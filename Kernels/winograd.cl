// winograd.cl: Winograd F(2x2,3x3) transforms for 3x3, padding-1 convolutions: filters, input tiles and output tiles.
//
// A convolution becomes 16 matrix products, one per point xi of the 4x4 transformed tile:
// M[xi] [O,P] = U[xi] [O,C] x V[xi] [C,P], where P = TB*TX 2x2 output tiles: the band of
// TB tile rows starting at tile row ty0 (the host bounds scratch memory with bands),
// U = G g G^T (filters), V = B^T d B (4x4 input patches starting at (2ty-1, 2tx-1)) and the
// output tile is A^T M A (Lavin and Gray 2015). The 16 products do 2.25x fewer
// multiply-adds than im2col's one.
// Layouts: U [16][rows][cols], V [16][C][P], M [16][O][P], all row-major.

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
// The fused epilogue of an output value at `at` of its plane: the ReLU (`relu`, as the relu
// kernel: v > 0 ? v : 0) or the ReLU gradient's mask (`hasMask`, as relu_grad: the value
// where mask > 0, else 0), so the fused ops equal the separate ones bit for bit.
inline float wg_epilogue(const float v, const int relu, __global const float* mask, const int hasMask, const size_t at)
{
    const float r = relu ? (v > 0.0f ? v : 0.0f) : v;
    return hasMask ? (mask[at] > 0.0f ? r : 0.0f) : r;
}

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
