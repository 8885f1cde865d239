// pool.cl: 2x2 stride-2 max and average pooling and their gradients on [C,H,W] activations.
//
// The output is [C, H/2, W/2] (rounded down: an odd last row or column is dropped).
// Gradients are gathers (one work-item per input element) so they overwrite without atomics.

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
__kernel void max_pool_grad(__global const float* in, __global const float* dout, __global float* din,
                            const int H, const int W, const int OH, const int OW, const int n)
{
    const int idx = (int)get_global_id(0);
    if (idx >= n) return;
    const int x = idx % W, y = (idx / W) % H, c = idx / (W * H);
    const int oy = y >> 1, ox = x >> 1;
    float g = 0.0f;
    if (oy < OH && ox < OW) {
        const int base = (c * H + 2 * oy) * W + 2 * ox;
        if (window_argmax(in, base, W) == ((y & 1) << 1 | (x & 1))) g = dout[(c * OH + oy) * OW + ox];
    }
    din[idx] = g;
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
