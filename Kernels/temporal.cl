// temporal.cl: the ops of video's temporal consistency: a bilinear backward warp and the gradient of the masked squared difference.
//
// One work-item per element; `n` comes last, as in elementwise.cl. The loss's sum is
// `masked_sqdiff_partial` in reduce.cl (the reductions share one program).

// The weighted sum of the four neighbours of (px, py) in the [H,W] plane p; neighbours
// outside the image count 0, and a position that is not finite or lies beyond one pixel
// outside samples nothing.
float bilinear_sample(__global const float* p, const float px, const float py, const int H, const int W)
{
    if (!(px > -1.0f && py > -1.0f && px < (float)W && py < (float)H)) return 0.0f;
    const float x0f = floor(px), y0f = floor(py);
    const float fx = px - x0f, fy = py - y0f;
    const int x0 = (int)x0f, y0 = (int)y0f;
    float sum = 0.0f;
    if (y0 >= 0) {
        if (x0 >= 0) sum += (1.0f - fx) * (1.0f - fy) * p[y0 * W + x0];
        if (x0 + 1 < W) sum += fx * (1.0f - fy) * p[y0 * W + x0 + 1];
    }
    if (y0 + 1 < H) {
        if (x0 >= 0) sum += (1.0f - fx) * fy * p[(y0 + 1) * W + x0];
        if (x0 + 1 < W) sum += fx * fy * p[(y0 + 1) * W + x0 + 1];
    }
    return sum;
}

// out[c,y,x] = src[c] sampled at (x + flow[0,y,x], y + flow[1,y,x]); n = C*H*W.
__kernel void warp_bilinear(__global const float* src, __global const float* flow, __global float* out,
                            const int H, const int W, const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int plane = H * W, c = i / plane, j = i % plane;
    const float px = (float)(j % W) + flow[j], py = (float)(j / W) + flow[plane + j];
    out[i] = bilinear_sample(src + (size_t)c * (size_t)plane, px, py, H, W);
}

// g[i] += alpha * m[i % hw] * (x[i] - t[i]): the temporal loss's gradient (alpha = 2 scale / n).
__kernel void axpy_masked_diff(const float alpha, __global const float* x, __global const float* t,
                               __global const float* m, __global float* g, const int hw, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) g[i] += alpha * m[i % hw] * (x[i] - t[i]);
}
