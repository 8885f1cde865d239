// reduce.cl: sums on the device: dot products, loss sums, total-variation sums, row sums, and the final small reductions.
//
// Scheme: each work-item sums a strided slice of the input in float with Kahan
// compensation, then the work-group adds its WGS values pairwise in local memory and
// writes one partial sum; `sum_into` (one work-group) reduces the partials the same way.
// Compensation plus the pairwise tree keeps the float result within ~1e-6 relative of a
// double-precision sum, so only one float per sum leaves the device (none for sums that
// stay there, such as L-BFGS's coefficients).

#ifndef WGS
#define WGS 64   /* work-group size; must be a power of two and match the host's local size */
#endif

// Kahan-compensated running sum: `sum` and `carry` hold the value and its lost low bits.
void kahan_add(float* sum, float* carry, const float value)
{
    const float y = value - *carry;
    const float t = *sum + y;
    *carry = (t - *sum) - y;
    *sum = t;
}

// Pairwise sum of one value per work-item of the group; every work-item gets the total.
float group_sum(float value, __local float* scratch)
{
    const int lid = (int)get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = WGS / 2; stride > 0; stride >>= 1) {
        if (lid < stride) scratch[lid] += scratch[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// partial[group] = sum over this group's slice of x[i] * y[i]
__kernel void dot_partial(__global const float* x, __global const float* y, __global float* partial, const int n)
{
    __local float scratch[WGS];
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_global_id(0); i < n; i += (int)get_global_size(0)) kahan_add(&sum, &carry, x[i] * y[i]);
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = total;
}

// partial[group] = sum over this group's slice of (a[i] - b[i])^2
__kernel void sqdiff_partial(__global const float* a, __global const float* b, __global float* partial, const int n)
{
    __local float scratch[WGS];
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_global_id(0); i < n; i += (int)get_global_size(0)) {
        const float d = a[i] - b[i];
        kahan_add(&sum, &carry, d * d);
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = total;
}

// partial[group] = sum over this group's slice of m[i % hw] * (a[i] - b[i])^2 (the temporal loss)
__kernel void masked_sqdiff_partial(__global const float* a, __global const float* b, __global const float* m,
                                    __global float* partial, const int hw, const int n)
{
    __local float scratch[WGS];
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_global_id(0); i < n; i += (int)get_global_size(0)) {
        const float d = a[i] - b[i];
        kahan_add(&sum, &carry, m[i % hw] * d * d);
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = total;
}

// partial[group] = sum over this group's slice of the total-variation terms of the
// [C,H,W] image x: (x[c,y,x+1]-x[c,y,x])^2 + (x[c,y+1,x]-x[c,y,x])^2, absent at the edges.
__kernel void tv_partial(__global const float* img, __global float* partial, const int H, const int W, const int n)
{
    __local float scratch[WGS];
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_global_id(0); i < n; i += (int)get_global_size(0)) {
        const int x = i % W, y = (i / W) % H;
        const float v = img[i];
        float term = 0.0f;
        if (x + 1 < W) { const float d = img[i + 1] - v; term += d * d; }
        if (y + 1 < H) { const float d = img[i + W] - v; term += d * d; }
        kahan_add(&sum, &carry, term);
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = total;
}

// partial[group] = the L1 total-variation terms of this group's slice:
// |x[c,y,x+1]-x[c,y,x]| + |x[c,y+1,x]-x[c,y,x]|, absent at the edges.
__kernel void tv_l1_partial(__global const float* img, __global float* partial, const int H, const int W, const int n)
{
    __local float scratch[WGS];
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_global_id(0); i < n; i += (int)get_global_size(0)) {
        const int x = i % W, y = (i / W) % H;
        const float v = img[i];
        float term = 0.0f;
        if (x + 1 < W) term += fabs(img[i + 1] - v);
        if (y + 1 < H) term += fabs(img[i + W] - v);
        kahan_add(&sum, &carry, term);
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partial[get_group_id(0)] = total;
}

// out[r] = sum_c x[r, c] for a [rows, cols] matrix; one work-group per row (the bias gradient).
__kernel void row_sum(__global const float* x, __global float* out, const int cols)
{
    __local float scratch[WGS];
    const int row = (int)get_group_id(0);
    __global const float* r = x + (size_t)row * (size_t)cols;
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_local_id(0); i < cols; i += WGS) kahan_add(&sum, &carry, r[i]);
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) out[row] = total;
}


// out[i] = sum over s < slices of in[s * count + i]: adds up the partial Gram matrices of a
// product split along k. One work-item per output entry.
__kernel void sum_slices(__global const float* in, __global float* out, const int count, const int slices)
{
    const int i = (int)get_global_id(0);
    if (i >= count) return;
    float sum = 0.0f;
    for (int s = 0; s < slices; ++s) sum += in[(size_t)s * count + i];
    out[i] = sum;
}

// out[index] = scale * (sum of the `count` partial sums), left on the device; one work-group.
__kernel void sum_into(__global const float* partial, __global float* out, const int count, const int index,
                       const float scale)
{
    __local float scratch[WGS];
    float sum = 0.0f, carry = 0.0f;
    for (int i = (int)get_local_id(0); i < count; i += WGS) kahan_add(&sum, &carry, partial[i]);
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) out[index] = scale * total;
}
