// window.cl: copying a window out of a [C,H,W] tensor into a [C,h,w] one, and adding one back (tiled evaluation).
//
// One work-item per element of the window; `n` = C*h*w comes last, as in elementwise.cl.

// dst[c, r, q] = src[c, y0 + r, x0 + q]
__kernel void crop_window(__global const float* src, __global float* dst, const int H, const int W,
                          const int h, const int w, const int y0, const int x0, const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int q = i % w, r = (i / w) % h, c = i / (w * h);
    dst[i] = src[(c * H + y0 + r) * W + x0 + q];
}

// dst[c, y0 + r, x0 + q] += src[c, r, q]
__kernel void add_window(__global const float* src, __global float* dst, const int H, const int W,
                         const int h, const int w, const int y0, const int x0, const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int q = i % w, r = (i / w) % h, c = i / (w * h);
    dst[(c * H + y0 + r) * W + x0 + q] += src[i];
}
