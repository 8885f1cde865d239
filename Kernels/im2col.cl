// im2col.cl: unfolds image patches into columns (im2col) and folds them back (col2im) for convolution as a matrix product.
//
// Layout: the column matrix is [I*KH*KW, OH*OW] row-major; row r = (i*KH + ky)*KW + kx,
// column p = oy*OW + ox holds in[i, oy+ky-pad, ox+kx-pad] (0 outside the image).
// All indices fit in int: the host refuses tensors of 2^31 elements or more.

// col[r, p] = in[i, oy+ky-pad, ox+kx-pad]; one work-item per element of col.
__kernel void im2col(__global const float* in, __global float* col,
                     const int H, const int W, const int KH, const int KW, const int pad,
                     const int OH, const int OW, const int total)
{
    const int idx = (int)get_global_id(0);
    if (idx >= total) return;
    const int ohw = OH * OW;
    const int r = idx / ohw, p = idx - r * ohw;
    const int kx = r % KW, ky = (r / KW) % KH, i = r / (KW * KH);
    const int oy = p / OW, ox = p - oy * OW;
    const int y = oy + ky - pad, x = ox + kx - pad;
    col[idx] = (y >= 0 && y < H && x >= 0 && x < W) ? in[(i * H + y) * W + x] : 0.0f;
}

// in[i, y, x] = sum of every col entry that im2col read from (i, y, x): the adjoint of
// im2col. One work-item per input element gathers its KH*KW terms, so no atomics are
// needed and the result overwrites the output.
__kernel void col2im(__global const float* col, __global float* in,
                     const int H, const int W, const int KH, const int KW, const int pad,
                     const int OH, const int OW, const int total)
{
    const int idx = (int)get_global_id(0);
    if (idx >= total) return;
    const int x = idx % W, y = (idx / W) % H, i = idx / (W * H);
    const int ohw = OH * OW;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ++ky) {
        const int oy = y + pad - ky;
        if (oy < 0 || oy >= OH) continue;
        for (int kx = 0; kx < KW; ++kx) {
            const int ox = x + pad - kx;
            if (ox < 0 || ox >= OW) continue;
            sum += col[((i * KH + ky) * KW + kx) * ohw + oy * OW + ox];
        }
    }
    in[idx] = sum;
}
