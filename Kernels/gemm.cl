// gemm.cl: register-tiled SGEMM for OpenCL devices without fast local memory (CPU drivers such as PoCL).
//
// Row-major, C [M,N] = alpha op(A) op(B) + beta C, offsets and leading dimensions in floats.
// No local memory and no barriers: each work-item keeps a GEMM_TM x GEMM_P block of C in
// registers (GEMM_P = GEMM_TN vectors of GEMM_VW) and streams its rows of A and its panel
// of B from the caches, so that on a CPU driver its loop compiles to the broadcast-and-FMA
// inner loop of a BLAS micro-kernel. B is first packed into panels of GEMM_P columns
// (gemm_pack_b, or im2col_packed for a convolution), so that a work-item reads one
// contiguous stream instead of K rows a page apart. The tile sizes are tunables: the host
// always passes them with -D (the values below only document the defaults).

#ifndef GEMM_TM
#define GEMM_TM 6      // rows of C per work-item
#endif
#ifndef GEMM_TN
#define GEMM_TN 2      // vectors of C per row per work-item
#endif
#ifndef GEMM_VW
#define GEMM_VW 8      // vector width along n (nn, tn) or k (nt)
#endif
#ifndef GEMM_NT_TM
#define GEMM_NT_TM 3   // rows of C per work-item in the A B^T kernel
#endif
#ifndef GEMM_NT_TN
#define GEMM_NT_TN 4   // columns of C per work-item in the A B^T kernel
#endif

#define GEMM_CAT2(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT2(a, b)
#define floatV GEMM_CAT(float, GEMM_VW)
#define vloadV GEMM_CAT(vload, GEMM_VW)
#define vstoreV GEMM_CAT(vstore, GEMM_VW)

// Sum of the lanes of a vector (GEMM_VW is 2, 4, 8 or 16: OpenCL C has no float1).
inline float gemm_hsum(floatV v) {
    float s = 0.0f;
    float lanes[GEMM_VW];
    vstoreV(v, 0, lanes);
    for (int i = 0; i < GEMM_VW; ++i) s += lanes[i];
    return s;
}

#define GEMM_P (GEMM_TN * GEMM_VW)

// Packed B: panel p holds B[k][p*P + j] at packed[(p*K + k)*P + j], zero past column N.
// One work-item per (k, panel), neighbours writing neighbouring P-float runs; global size
// (K, ceil(N / P)).
__kernel void gemm_pack_b(const int N, const int K, __global const float* restrict B, const int bOff,
                          const int ldb, __global float* restrict packed) {
    const int k = get_global_id(0), p = get_global_id(1);
    if (p * GEMM_P >= N || k >= K) return;
    const __global float* src = B + bOff + k * ldb + p * GEMM_P;
    __global float* dst = packed + ((size_t)p * K + k) * GEMM_P;
    if (p * GEMM_P + GEMM_P <= N) {
        for (int j = 0; j < GEMM_TN; ++j) vstoreV(vloadV(j, src), j, dst);
    } else {
        for (int j = 0; j < GEMM_P; ++j) dst[j] = p * GEMM_P + j < N ? src[j] : 0.0f;
    }
}

// One work-item's block of C = alpha op(A) B + beta C from packed B, with A_AT(r, k)
// reading op(A)[r][k]. Work-item (x, y) owns rows x*TM.. and panel y (neighbouring work-items
// share a panel, so it is read from memory once and then from the cache); rows past M repeat
// row M-1 (loaded, never stored); columns past N are computed from the zero padding and
// not stored.
#define GEMM_PACKED_BODY(A_AT)                                                                      \
    const int p = get_global_id(1);                                                                 \
    const int n0 = p * GEMM_P;                                                                      \
    const int m0 = get_global_id(0) * GEMM_TM;                                                      \
    if (n0 >= N || m0 >= M) return;                                                                 \
    A += aOff; C += cOff;                                                                           \
    int rows[GEMM_TM];                                                                              \
    for (int i = 0; i < GEMM_TM; ++i) rows[i] = min(m0 + i, M - 1);                                 \
    floatV acc[GEMM_TM][GEMM_TN];                                                                   \
    _Pragma("unroll") for (int i = 0; i < GEMM_TM; ++i)                                             \
        _Pragma("unroll") for (int j = 0; j < GEMM_TN; ++j) acc[i][j] = (floatV)(0.0f);             \
    const __global float* b = packed + (size_t)p * K * GEMM_P;                                      \
    for (int k = 0; k < K; ++k, b += GEMM_P) {                                                      \
        floatV bv[GEMM_TN];                                                                         \
        _Pragma("unroll") for (int j = 0; j < GEMM_TN; ++j) bv[j] = vloadV(j, b);                   \
        _Pragma("unroll") for (int i = 0; i < GEMM_TM; ++i) {                                       \
            const floatV a = (floatV)(A_AT(rows[i], k));                                            \
            _Pragma("unroll") for (int j = 0; j < GEMM_TN; ++j) acc[i][j] = fma(a, bv[j], acc[i][j]); \
        }                                                                                           \
    }                                                                                               \
    for (int i = 0; i < GEMM_TM && m0 + i < M; ++i) {                                               \
        __global float* c = C + (m0 + i) * ldc + n0;                                                \
        if (n0 + GEMM_P <= N) {                                                                     \
            _Pragma("unroll") for (int j = 0; j < GEMM_TN; ++j) {                                   \
                floatV v = alpha * acc[i][j];                                                       \
                if (beta != 0.0f) v = fma((floatV)(beta), vloadV(j, c), v);                         \
                vstoreV(v, j, c);                                                                   \
            }                                                                                       \
        } else {                                                                                    \
            float lanes[GEMM_P];                                                                    \
            for (int j = 0; j < GEMM_TN; ++j) vstoreV(acc[i][j], j, lanes);                         \
            for (int j = 0; n0 + j < N; ++j)                                                        \
                c[j] = beta != 0.0f ? fma(beta, c[j], alpha * lanes[j]) : alpha * lanes[j];         \
        }                                                                                           \
    }

#define GEMM_PACKED_ARGS                                                                            \
    const int M, const int N, const int K, const float alpha,                                       \
    __global const float* restrict A, const int aOff, const int lda,                                \
    __global const float* restrict packed,                                                          \
    const float beta, __global float* restrict C, const int cOff, const int ldc

// C = alpha A B + beta C, A [M,K], B [K,N] packed. Global size (ceil(M / TM), ceil(N / P)).
__kernel void gemm_nn(GEMM_PACKED_ARGS) {
#define GEMM_A_NN(r, k) A[(r) * lda + (k)]
    GEMM_PACKED_BODY(GEMM_A_NN)
}

// A batch of gemm_nn products (Winograd's 16 or 36 per band) in one launch: product z =
// get_global_id(2) takes A, packed B and C advanced by z times their strides. Global size
// (ceil(M / TM), ceil(N / P), batch).
__kernel void gemm_nn_batched(GEMM_PACKED_ARGS, const int strideA, const int strideB, const int strideC) {
    const size_t z = get_global_id(2);
    A += z * (size_t)strideA;
    packed += z * (size_t)strideB;
    C += z * (size_t)strideC;
    GEMM_PACKED_BODY(GEMM_A_NN)
}

// C = alpha A^T B + beta C, A [K,M], B [K,N] packed. Global size as gemm_nn.
__kernel void gemm_tn(GEMM_PACKED_ARGS) {
#define GEMM_A_TN(r, k) A[(k) * lda + (r)]
    GEMM_PACKED_BODY(GEMM_A_TN)
}

// C = alpha A B^T + beta C, A [M,K], B [N,K]: each entry a dot product of two rows, with
// vectors along k. Work-item (x, y) owns columns x*NT_TN.. and rows y*NT_TM..; rows and
// columns past the edges repeat the last one (loaded, never stored).
// Global size (ceil(N / NT_TN), ceil(M / NT_TM)).
__kernel void gemm_nt(
    const int M, const int N, const int K, const float alpha,
    __global const float* restrict A, const int aOff, const int lda,
    __global const float* restrict B, const int bOff, const int ldb,
    const float beta, __global float* restrict C, const int cOff, const int ldc) {
    const int n0 = get_global_id(0) * GEMM_NT_TN;
    const int m0 = get_global_id(1) * GEMM_NT_TM;
    if (n0 >= N || m0 >= M) return;
    A += aOff; B += bOff; C += cOff;
    const __global float* a[GEMM_NT_TM];
    const __global float* b[GEMM_NT_TN];
    for (int i = 0; i < GEMM_NT_TM; ++i) a[i] = A + min(m0 + i, M - 1) * lda;
    for (int j = 0; j < GEMM_NT_TN; ++j) b[j] = B + min(n0 + j, N - 1) * ldb;
    floatV acc[GEMM_NT_TM][GEMM_NT_TN];
    _Pragma("unroll") for (int i = 0; i < GEMM_NT_TM; ++i)
        _Pragma("unroll") for (int j = 0; j < GEMM_NT_TN; ++j) acc[i][j] = (floatV)(0.0f);
    const int kv = K / GEMM_VW;
    for (int q = 0; q < kv; ++q) {
        floatV bv[GEMM_NT_TN];
        _Pragma("unroll") for (int j = 0; j < GEMM_NT_TN; ++j) bv[j] = vloadV(q, b[j]);
        _Pragma("unroll") for (int i = 0; i < GEMM_NT_TM; ++i) {
            const floatV av = vloadV(q, a[i]);
            _Pragma("unroll") for (int j = 0; j < GEMM_NT_TN; ++j) acc[i][j] = fma(av, bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < GEMM_NT_TM && m0 + i < M; ++i) {
        for (int j = 0; j < GEMM_NT_TN && n0 + j < N; ++j) {
            float s = gemm_hsum(acc[i][j]);
            for (int k = kv * GEMM_VW; k < K; ++k) s = fma(a[i][k], b[j][k], s);
            __global float* c = C + (m0 + i) * ldc + n0 + j;
            *c = beta != 0.0f ? fma(beta, *c, alpha * s) : alpha * s;
        }
    }
}

