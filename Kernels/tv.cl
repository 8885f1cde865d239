// tv.cl: gradient of the total-variation loss of a [C,H,W] image, accumulated with a scale.
//
// J = sum (x[c,y,x+1]-x[c,y,x])^2 + (x[c,y+1,x]-x[c,y,x])^2, so each pixel gets
// 2(x - left) + 2(x - up) from the terms it ends and -2(right - x) - 2(down - x) from
// the terms it starts. (Its loss sum is `tv_partial` in reduce.cl.)

// grad += scale * dJ/dx
__kernel void tv_grad(__global const float* img, __global float* grad, const float scale,
                      const int H, const int W, const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int x = i % W, y = (i / W) % H;
    const float v = img[i];
    float g = 0.0f;
    if (x > 0) g += v - img[i - 1];
    if (y > 0) g += v - img[i - W];
    if (x + 1 < W) g -= img[i + 1] - v;
    if (y + 1 < H) g -= img[i + W] - v;
    grad[i] += scale * 2.0f * g;
}

// The L1 variant (neural-style's TV): J = sum |x[c,y,x+1]-x[c,y,x]| + |x[c,y+1,x]-x[c,y,x]|,
// dJ/dx = sign(x - left) + sign(x - up) - sign(right - x) - sign(down - x), sign(0) = 0.
// (Its loss sum is `tv_l1_partial` in reduce.cl.)

// grad += scale * dJ/dx
__kernel void tv_l1_grad(__global const float* img, __global float* grad, const float scale,
                         const int H, const int W, const int n)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int x = i % W, y = (i / W) % H;
    const float v = img[i];
    float g = 0.0f;
    if (x > 0) g += sign(v - img[i - 1]);
    if (y > 0) g += sign(v - img[i - W]);
    if (x + 1 < W) g -= sign(img[i + 1] - v);
    if (y + 1 < H) g -= sign(img[i + W] - v);
    grad[i] += scale * g;
}
