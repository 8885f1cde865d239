// im2col.cl: unfolds image patches into columns (im2col, or packed panels for gemm.cl) and folds them back (col2im).
//
// Layout: the column matrix is [I*KH*KW, OH*OW] row-major; row r = (i*KH + ky)*KW + kx,
// column p = oy*OW + ox holds in[i, oy+ky-pad, ox+kx-pad] (0 outside the image).
// All indices fit in int: the host refuses tensors of 2^31 elements or more.

// Both kernels work on a band of output rows [oy0, oy0 + rows) so that the host can bound
// the size of the column matrix: within a band, column p = (oy - oy0)*OW + ox.

// col[r, p] = in[i, oy+ky-pad, ox+kx-pad]; one work-item per element of the band's col.
__kernel void im2col(__global const float* in, __global float* col,
                     const int H, const int W, const int KH, const int KW, const int pad,
                     const int OW, const int oy0, const int rows, const int total)
{
    const int idx = (int)get_global_id(0);
    if (idx >= total) return;
    const int bandSize = rows * OW;
    const int r = idx / bandSize, p = idx - r * bandSize;
    const int kx = r % KW, ky = (r / KW) % KH, i = r / (KW * KH);
    const int oy = oy0 + p / OW, ox = p % OW;
    const int y = oy + ky - pad, x = ox + kx - pad;
    col[idx] = (y >= 0 && y < H && x >= 0 && x < W) ? in[(i * H + y) * W + x] : 0.0f;
}

// in[i, y, x] += sum of every entry of the band's col that im2col read from (i, y, x):
// the adjoint of im2col, accumulated band by band. One work-item per input element of
// rows [y0, y0 + ny) gathers its KH*KW terms, so no atomics are needed.
__kernel void col2im(__global const float* col, __global float* in,
                     const int H, const int W, const int KH, const int KW, const int pad,
                     const int OW, const int oy0, const int rows, const int y0, const int ny, const int total)
{
    const int idx = (int)get_global_id(0);
    if (idx >= total) return;
    const int x = idx % W, y = y0 + (idx / W) % ny, i = idx / (W * ny);
    const int bandSize = rows * OW;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ++ky) {
        const int oy = y + pad - ky;
        if (oy < oy0 || oy >= oy0 + rows) continue;
        for (int kx = 0; kx < KW; ++kx) {
            const int ox = x + pad - kx;
            if (ox < 0 || ox >= OW) continue;
            sum += col[((i * KH + ky) * KW + kx) * bandSize + (oy - oy0) * OW + ox];
        }
    }
    in[(i * H + y) * W + x] += sum;
}

// im2col written straight into the panel layout of gemm.cl's packed B (see gemm_pack_b):
// element (r, p) of the band's col goes to packed[((p / P) * R + r) * P + p % P], with
// zeros past the band's last column. One work-item per (r, panel) writes the panel's P
// consecutive values, so that its index arithmetic is done once, not per element.
// Global size (R, ceil(rows * OW / P)).
#ifndef GEMM_TN
#define GEMM_TN 2
#endif
#ifndef GEMM_VW
#define GEMM_VW 8
#endif
#define IM2COL_P (GEMM_TN * GEMM_VW)
__kernel void im2col_packed(__global const float* in, __global float* packed,
                            const int H, const int W, const int KH, const int KW, const int pad,
                            const int OW, const int oy0, const int rows, const int R)
{
    const int r = (int)get_global_id(0), panel = (int)get_global_id(1);
    const int bandSize = rows * OW;
    if (r >= R || panel * IM2COL_P >= bandSize) return;
    const int kx = r % KW, ky = (r / KW) % KH, i = r / (KW * KH);
    __global float* out = packed + ((size_t)panel * R + r) * IM2COL_P;
    const __global float* plane = in + (size_t)i * H * W;
    const int p0 = panel * IM2COL_P;
    int oy = oy0 + p0 / OW, ox = p0 % OW;
    for (int j = 0; j < IM2COL_P; ++j) {
        const int y = oy + ky - pad, x = ox + kx - pad;
        out[j] = (p0 + j < bandSize && y >= 0 && y < H && x >= 0 && x < W) ? plane[y * W + x] : 0.0f;
        if (++ox == OW) { ox = 0; ++oy; }
    }
}
