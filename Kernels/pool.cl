// pool.cl: 2x2 stride-2 max and average pooling and their gradients on [C,H,W] activations.
//
// The output is [C, H/2, W/2] (rounded down: an odd last row or column is dropped).
// Each input element belongs to one window, so the gradients overwrite without atomics.

// Index, within its window (0..3, row-major), of the first maximum of the 2x2 window at (oy, ox).
int window_argmax(__global const float* in, const int base, const int W)
{
    const float v0 = in[base], v1 = in[base + 1], v2 = in[base + W], v3 = in[base + W + 1];
    int arg = 0;
    float best = v0;
    if (v1 > best) { best = v1; arg = 1; }
    if (v2 > best) { best = v2; arg = 2; }
    if (v3 > best) { arg = 3; }
    return arg;
}

__kernel void max_pool(__global const float* in, __global float* out,
                       const int H, const int W, const int OH, const int OW, const int n)
{
    const int idx = (int)get_global_id(0);
    if (idx >= n) return;
    const int ox = idx % OW, oy = (idx / OW) % OH, c = idx / (OW * OH);
    const int base = (c * H + 2 * oy) * W + 2 * ox;
    const int arg = window_argmax(in, base, W);
    out[idx] = in[base + (arg >> 1) * W + (arg & 1)];
}

__kernel void avg_pool(__global const float* in, __global float* out,
                       const int H, const int W, const int OH, const int OW, const int n)
{
    const int idx = (int)get_global_id(0);
    if (idx >= n) return;
    const int ox = idx % OW, oy = (idx / OW) % OH, c = idx / (OW * OH);
    const int base = (c * H + 2 * oy) * W + 2 * ox;
    out[idx] = (in[base] + in[base + 1] + in[base + W] + in[base + W + 1]) * 0.25f;
}

// dIn[c,y,x] = dOut[c,y/2,x/2] if (y,x) is the first maximum of its window, else 0.
// One work-item per cell of the ceil(H/2) x ceil(W/2) grid of windows: it finds its window's
// maximum once and writes the window's (up to) four gradients; cells of a dropped odd last
// row or column get 0. n = C * ceil(H/2) * ceil(W/2).
__kernel void max_pool_grad(__global const float* in, __global const float* dout, __global float* din,
                            const int H, const int W, const int OH, const int OW, const int n)
{
    const int idx = (int)get_global_id(0);
    if (idx >= n) return;
    const int CW = (W + 1) >> 1, CH = (H + 1) >> 1;
    const int ox = idx % CW, oy = (idx / CW) % CH, c = idx / (CW * CH);
    const int base = (c * H + 2 * oy) * W + 2 * ox;
    if (oy < OH && ox < OW) {
        const int arg = window_argmax(in, base, W);
        const float g = dout[(c * OH + oy) * OW + ox];
        din[base] = arg == 0 ? g : 0.0f;
        din[base + 1] = arg == 1 ? g : 0.0f;
        din[base + W] = arg == 2 ? g : 0.0f;
        din[base + W + 1] = arg == 3 ? g : 0.0f;
    } else {
        const bool right = 2 * ox + 1 < W, below = 2 * oy + 1 < H;
        din[base] = 0.0f;
        if (right) din[base + 1] = 0.0f;
        if (below) din[base + W] = 0.0f;
        if (right && below) din[base + W + 1] = 0.0f;
    }
}

// dIn[c,y,x] = dOut[c,y/2,x/2] / 4 inside a window, else 0.
__kernel void avg_pool_grad(__global const float* dout, __global float* din,
                            const int H, const int W, const int OH, const int OW, const int n)
{
    const int idx = (int)get_global_id(0);
    if (idx >= n) return;
    const int x = idx % W, y = (idx / W) % H, c = idx / (W * H);
    const int oy = y >> 1, ox = x >> 1;
    din[idx] = (oy < OH && ox < OW) ? 0.25f * dout[(c * OH + oy) * OW + ox] : 0.0f;
}
