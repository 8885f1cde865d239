// elementwise.cl: one-work-item-per-element kernels: fill, ReLU and its gradient, bias add, channel normalisation, mask scaling, optimiser vector ops.
//
// Every kernel takes the element count `n` last and ignores work-items past it, so the
// host may round the global size up to a multiple of the work-group size.

// x = value
__kernel void fill(__global float* x, const float value, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) x[i] = value;
}

// out = max(in, 0); `out` may be `in`.
__kernel void relu(__global const float* in, __global float* out, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) { const float v = in[i]; out[i] = v > 0.0f ? v : 0.0f; }
}

// dIn = dOut where the forward output is positive, else 0; `dIn` may be `dOut`.
__kernel void relu_grad(__global const float* out, __global const float* dout, __global float* din, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

// out[c, p] += bias[c] for a [C, hw] activation.
__kernel void bias_add(__global float* out, __global const float* bias, const int hw, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) out[i] += bias[i / hw];
}

// out[c, p] = (in[c, p] - mean[c]) / std[c]
__kernel void normalize_channels(__global const float* in, __global float* out, __global const float* mean,
                        __global const float* stdev, const int hw, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) { const int c = i / hw; out[i] = (in[i] - mean[c]) / stdev[c]; }
}

// dIn[c, p] = dOut[c, p] / std[c]
__kernel void normalize_channels_grad(__global const float* dout, __global float* din, __global const float* stdev,
                             const int hw, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) din[i] = dout[i] / stdev[i / hw];
}

// y += alpha * x
__kernel void axpy(const float alpha, __global const float* x, __global float* y, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) y[i] += alpha * x[i];
}

// y += (fi * slots[i] + fj * slots[j]) * x: a coefficient computed on the device (L-BFGS);
// j < 0: no second term.
__kernel void axpy_slots(__global const float* slots, const int i, const float fi, const int j, const float fj,
                         __global const float* x, __global float* y, const int n)
{
    const int k = (int)get_global_id(0);
    if (k < n) y[k] += (fi * slots[i] + (j >= 0 ? fj * slots[j] : 0.0f)) * x[k];
}

// x *= alpha
__kernel void scale(__global float* x, const float alpha, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) x[i] *= alpha;
}

// x[c, p] *= mask[p] for a [C, hw] tensor: a spatial weight on every channel (its own gradient).
__kernel void scale_by_mask(__global float* x, __global const float* mask, const int hw, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) x[i] *= mask[i % hw];
}

// y += alpha * (a - b): the content-loss gradient without a temporary for a - b.
__kernel void axpy_diff(const float alpha, __global const float* a, __global const float* b,
                        __global float* y, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) y[i] += alpha * (a[i] - b[i]);
}

// out = a - b; `out` may be `a`.
__kernel void subtract(__global const float* a, __global const float* b, __global float* out, const int n)
{
    const int i = (int)get_global_id(0);
    if (i < n) out[i] = a[i] - b[i];
}

// One Adam step with bias correction; `correction1 = 1 - beta1^t` and
// `correction2 = 1 - beta2^t` come from the host, which computes them in double.
__kernel void adam(__global float* x, __global const float* g, __global float* m, __global float* v,
                   const float lr, const float beta1, const float beta2, const float eps,
                   const float correction1, const float correction2, const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const float gi = g[i];
    const float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    const float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    x[i] -= lr * (mi / correction1) / (sqrt(vi / correction2) + eps);
}
