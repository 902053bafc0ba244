// Implicit-GEMM convolution over N-C-D-H-W (1-d and 2-d convolutions are 3-d ones with unit
// dims): the three linear maps of a convolution, each one tiled matrix product whose operands
// are gathered from the tensors on the fly -- no im2col buffer is ever written.  References:
// gradcore/ops/conv.py (conv_forward, conv_input_grad, conv_weight_grad: the NumPy im2col
// path); docs/kernels.md.
//
//   conv_forward<T>      y[n, o, p]  = sum_(c, q) w[o, c, q] x[n, c, p * s - pad + q * d]
//                        (+ bias[o]): per group a GEMM (O/g) x (N * L), depth C/g * K
//   conv_input_grad<T>   gx[n, c, i] = sum_(o, q) w[o, c, q] gy[n, o, (i + pad - q * d) / s]
//                        (the terms where the division is exact and in range): per group a
//                        GEMM (C/g) x (N * S), depth O/g * K -- a gather, so no atomics
//   conv_weight_grad<T>  part[z, o, (c, q)] = sum over the z-th chunk of (n, p) of
//                        gy[n, o, p] x[n, c, p * s - pad + q * d]: per group a GEMM
//                        (O/g) x (C/g * K), depth N * L cut into `splits` chunks of `chunk`
//                        (fixed by the shape alone); the launcher sums the chunks with sum_to
//
// (L = oD * oH * oW output positions, S = D * H * W input positions, K = kD * kH * kW taps.)
//
// Tiles: a block computes a BM x 64 tile of the product, each thread a 4 x 4 block of it (rows
// ty + R * i, columns tx + 16 * j, R = blockDim.x / 16, BM = 4 R: 64 at the backend's 256
// threads), stepping through the depth GC_CONV_BK at a time: both operands' slices are
// gathered into shared memory (zeros outside the tensors, the padding, and past the ends),
// then multiplied.  The index arithmetic (divisions) is done once per tile for its columns
// and once per step for its depth indices (ConvIdx tables in shared memory), not per element.  Accumulation is in opmath_t<T> (float for gc_half), in ascending depth
// order whatever the grid or block: results do not depend on the launch shape.  Tiles
// grid-stride; blockDim.x must be a multiple of 16, at most GC_THREADS.
#include "common.cuh"
#include "bfloat16.cuh"

#define GC_CONV_BK 8    // depth of a step
#define GC_CONV_BN 64   // columns of a tile
#define GC_CONV_BM 64   // rows of a tile at GC_THREADS threads (shared memory is sized by it)
#define GC_CONV_AS (GC_CONV_BM + 1)  // As's row pitch: the depth-fastest stores hit distinct banks

// The convolution's shape, passed by value (cupy_backend.CONV_GEOM has the same layout).
struct ConvGeom {
  index_t N, C, D, H, W;     // input
  index_t O, oD, oH, oW;     // output channels and sizes
  index_t kD, kH, kW;        // kernel
  index_t sD, sH, sW;        // stride
  index_t pD, pH, pW;        // leading padding
  index_t dD, dH, dW;        // dilation
  index_t groups;
  index_t splits, chunk;     // conv_weight_grad: the depth in `splits` chunks of `chunk`
};

// (a / b, a % b) for 0 <= a, 0 < b
__device__ __forceinline__ index_t gc_divmod(index_t a, index_t b, index_t& r) {
  const index_t q = gc_div(a, b);
  r = a - q * b;
  return q;
}

// What a column or a depth index means to the gathers: two element offsets and a position
// (the window's corner for an output position, a tap's dilated offsets, an input position).
struct ConvIdx {
  index_t off0, off1, d, h, w;
};

// A tap index q in [0, K) as its (kd, kh, kw) offsets times the dilation, in i.d/h/w.
__device__ __forceinline__ void gc_conv_tap(const ConvGeom& g, index_t q, ConvIdx& i) {
  index_t kw, kh;
  q = gc_divmod(q, g.kW, kw);
  const index_t kd = gc_divmod(q, g.kH, kh);
  i.d = kd * g.dD;
  i.h = kh * g.dH;
  i.w = kw * g.dW;
}

// An output position p in [0, L) as its window's first input position (p * s - pad).
__device__ __forceinline__ void gc_conv_corner(const ConvGeom& g, index_t p, ConvIdx& i) {
  index_t oh, ow;
  p = gc_divmod(p, g.oW, ow);
  const index_t od = gc_divmod(p, g.oH, oh);
  i.d = od * g.sD - g.pD;
  i.h = oh * g.sH - g.pH;
  i.w = ow * g.sW - g.pW;
}

// x at corner + tap (offset `off` of its (n, c) plane), 0 outside the input (the padding).
template <typename T>
__device__ __forceinline__ opmath_t<T> gc_conv_read_x(const T* __restrict__ x, const ConvGeom& g,
                                                      index_t off, const ConvIdx& corner,
                                                      const ConvIdx& tap) {
  const index_t id = corner.d + tap.d, ih = corner.h + tap.h, iw = corner.w + tap.w;
  if (id < 0 || id >= g.D || ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return opmath_t<T>(0);
  return gc_load(x, off + (id * g.H + ih) * g.W + iw);
}

// One input coordinate's output coordinate through a tap: (i + pad - t) / s when exact and
// in [0, out), else -1 (no division at stride 1).
__device__ __forceinline__ index_t gc_conv_back(index_t i, index_t pad, index_t t, index_t s,
                                                index_t out) {
  const index_t v = i + pad - t;
  if (v < 0) return -1;
  index_t o = v, r = 0;
  if (s != 1) o = gc_divmod(v, s, r);
  return (r != 0 || o >= out) ? -1 : o;
}

// The tiled product: for every split z, group and tile, out(z, grp, m, col) = sum over the
// depth [z * chunk, min(depth, (z + 1) * chunk)) of a(grp, m, K_k) b(grp, K_k, C_col), handed
// to store(z, grp, m, col, value), where K_k = kidx(grp, k) and C_col = cidx(grp, col) are
// each computed once (per step, per tile) into the shared tables Ks and Cs.
// As: GC_CONV_BK x GC_CONV_AS, Bs: GC_CONV_BK x GC_CONV_BN, Ks: GC_CONV_BK, Cs: GC_CONV_BN.
template <typename M, typename KI, typename CI, typename A, typename B, typename S>
__device__ __forceinline__ void gc_conv_gemm(index_t splits, index_t groups, index_t rows,
                                             index_t cols, index_t depth, index_t chunk,
                                             M* As, M* Bs, ConvIdx* Ks, ConvIdx* Cs, KI kidx,
                                             CI cidx, A a, B b, S store) {
  const int nt = (int)blockDim.x, t = (int)threadIdx.x;
  const int R = nt / 16, BM = 4 * R, tx = t % 16, ty = t / 16;
  const index_t mtiles = gc_div(rows + BM - 1, BM);
  const index_t ntiles = gc_div(cols + GC_CONV_BN - 1, GC_CONV_BN);
  const index_t tiles = splits * groups * mtiles * ntiles;
#pragma unroll 1
  for (index_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    index_t ni, mi, grp;
    index_t q = gc_divmod(tile, ntiles, ni);
    q = gc_divmod(q, mtiles, mi);
    const index_t z = gc_divmod(q, groups, grp);
    const index_t m0 = mi * BM, n0 = ni * GC_CONV_BN;
    const index_t k_begin = z * chunk;
    const index_t k_end = min(depth, k_begin + chunk);
    // the columns' table (the previous tile's last reads of it came before a barrier)
    for (int e = t; e < GC_CONV_BN; e += nt)
      if (n0 + e < cols) Cs[e] = cidx(grp, n0 + e);
    M acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[i][j] = M(0);
#pragma unroll 1
    for (index_t k0 = k_begin; k0 < k_end; k0 += GC_CONV_BK) {
      for (int e = t; e < GC_CONV_BK; e += nt)  // this step's depth table
        if (k0 + e < k_end) Ks[e] = kidx(grp, k0 + e);
      __syncthreads();
#pragma unroll 1
      for (int e = t; e < GC_CONV_BK * BM; e += nt) {  // depth fastest: a's rows run along it
        const int kk = e % GC_CONV_BK, mm = e / GC_CONV_BK;
        const index_t m = m0 + mm;
        As[kk * GC_CONV_AS + mm] = (m < rows && k0 + kk < k_end) ? a(grp, m, Ks[kk]) : M(0);
      }
#pragma unroll 1
      for (int e = t; e < GC_CONV_BK * GC_CONV_BN; e += nt) {  // columns fastest (coalesced)
        const int nn = e % GC_CONV_BN, kk = e / GC_CONV_BN;
        Bs[kk * GC_CONV_BN + nn] =
            (n0 + nn < cols && k0 + kk < k_end) ? b(grp, Ks[kk], Cs[nn]) : M(0);
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < GC_CONV_BK; ++kk) {
        M av[4], bv[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) av[i] = As[kk * GC_CONV_AS + ty + R * i];
#pragma unroll
        for (int j = 0; j < 4; ++j) bv[j] = Bs[kk * GC_CONV_BN + tx + 16 * j];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] += av[i] * bv[j];
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const index_t m = m0 + ty + R * i;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const index_t col = n0 + tx + 16 * j;
        if (m < rows && col < cols) store(z, grp, m, col, acc[i][j]);
      }
    }
  }
}

#define GC_CONV_SHARED(M)                        \
  __shared__ M As[GC_CONV_BK * GC_CONV_AS];      \
  __shared__ M Bs[GC_CONV_BK * GC_CONV_BN];      \
  __shared__ ConvIdx Ks[GC_CONV_BK];             \
  __shared__ ConvIdx Cs[GC_CONV_BN]

// forward: rows o, columns (n, p), depth (c, q)
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
conv_forward(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ bias,
             T* __restrict__ y, ConvGeom g, int has_bias) {
  typedef opmath_t<T> M;
  GC_CONV_SHARED(M);
  const index_t Cg = gc_div(g.C, g.groups), Og = gc_div(g.O, g.groups);
  const index_t K = g.kD * g.kH * g.kW, L = g.oD * g.oH * g.oW, S = g.D * g.H * g.W;
  const index_t depth = Cg * K;
  gc_conv_gemm<M>(
      1, g.groups, Og, g.N * L, depth, depth, As, Bs, Ks, Cs,
      [&](index_t, index_t k) {  // off0: k itself, off1: channel c's plane
        ConvIdx i;
        index_t q;
        i.off0 = k;
        i.off1 = gc_divmod(k, K, q) * S;
        gc_conv_tap(g, q, i);
        return i;
      },
      [&](index_t grp, index_t col) {  // off0: image n's group plane, off1: position p
        ConvIdx i;
        index_t p;
        i.off0 = (gc_divmod(col, L, p) * g.C + grp * Cg) * S;
        i.off1 = p;
        gc_conv_corner(g, p, i);
        return i;
      },
      [&](index_t grp, index_t m, const ConvIdx& k) {
        return gc_load(w, (grp * Og + m) * depth + k.off0);
      },
      [&](index_t, const ConvIdx& k, const ConvIdx& c) {
        return gc_conv_read_x(x, g, c.off0 + k.off1, c, k);
      },
      [&](index_t, index_t grp, index_t m, index_t col, M v) {
        index_t p;
        const index_t n = gc_divmod(col, L, p), o = grp * Og + m;
        if (has_bias) v += gc_load(bias, o);
        gc_store(y, (n * g.O + o) * L + p, v);
      });
}

// input gradient: rows c, columns (n, input position), depth (o, q); a gather
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
conv_input_grad(const T* __restrict__ gy, const T* __restrict__ w, T* __restrict__ gx,
                ConvGeom g) {
  typedef opmath_t<T> M;
  GC_CONV_SHARED(M);
  const index_t Cg = gc_div(g.C, g.groups), Og = gc_div(g.O, g.groups);
  const index_t K = g.kD * g.kH * g.kW, S = g.D * g.H * g.W, L = g.oD * g.oH * g.oW;
  gc_conv_gemm<M>(
      1, g.groups, Cg, g.N * S, Og * K, Og * K, As, Bs, Ks, Cs,
      [&](index_t grp, index_t k) {  // off0: w[grp * Og + o, 0, q], off1: gy's channel o
        ConvIdx i;
        index_t q;
        const index_t o = grp * Og + gc_divmod(k, K, q);
        i.off0 = o * Cg * K + q;
        i.off1 = o * L;
        gc_conv_tap(g, q, i);
        return i;
      },
      [&](index_t, index_t col) {  // off0: image n's gy, off1: its position; d/h/w: input's
        ConvIdx i;
        index_t s, iw, ih;
        i.off0 = gc_divmod(col, S, s) * g.O * L;
        i.off1 = s;
        i.d = gc_divmod(gc_divmod(s, g.W, iw), g.H, ih);
        i.h = ih;
        i.w = iw;
        return i;
      },
      [&](index_t, index_t m, const ConvIdx& k) { return gc_load(w, k.off0 + m * K); },
      [&](index_t, const ConvIdx& k, const ConvIdx& c) {
        const index_t od = gc_conv_back(c.d, g.pD, k.d, g.sD, g.oD);
        const index_t oh = gc_conv_back(c.h, g.pH, k.h, g.sH, g.oH);
        const index_t ow = gc_conv_back(c.w, g.pW, k.w, g.sW, g.oW);
        if (od < 0 || oh < 0 || ow < 0) return M(0);
        return gc_load(gy, c.off0 + k.off1 + (od * g.oH + oh) * g.oW + ow);
      },
      [&](index_t, index_t grp, index_t m, index_t col, M v) {
        index_t s;
        const index_t n = gc_divmod(col, S, s);
        gc_store(gx, (n * g.C + grp * Cg + m) * S + s, v);
      });
}

// weight gradient: rows o, columns (c, q), depth (n, p) in chunks
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
conv_weight_grad(const T* __restrict__ x, const T* __restrict__ gy, opmath_t<T>* __restrict__ part,
                 ConvGeom g) {
  typedef opmath_t<T> M;
  GC_CONV_SHARED(M);
  const index_t Cg = gc_div(g.C, g.groups), Og = gc_div(g.O, g.groups);
  const index_t K = g.kD * g.kH * g.kW, L = g.oD * g.oH * g.oW, S = g.D * g.H * g.W;
  const index_t cols = Cg * K;
  gc_conv_gemm<M>(
      g.splits, g.groups, Og, cols, g.N * L, g.chunk, As, Bs, Ks, Cs,
      [&](index_t, index_t k) {  // off0: gy[n, 0, p], off1: x[n, 0]; d/h/w: p's corner
        ConvIdx i;
        index_t p;
        const index_t n = gc_divmod(k, L, p);
        i.off0 = n * g.O * L + p;
        i.off1 = n * g.C * S;
        gc_conv_corner(g, p, i);
        return i;
      },
      [&](index_t grp, index_t col) {  // off0: channel c's plane; d/h/w: tap q's offsets
        ConvIdx i;
        index_t q;
        i.off0 = (grp * Cg + gc_divmod(col, K, q)) * S;
        i.off1 = 0;
        gc_conv_tap(g, q, i);
        return i;
      },
      [&](index_t grp, index_t m, const ConvIdx& k) {
        return gc_load(gy, k.off0 + (grp * Og + m) * L);
      },
      [&](index_t, const ConvIdx& k, const ConvIdx& c) {
        return gc_conv_read_x(x, g, k.off1 + c.off0, k, c);
      },
      [&](index_t z, index_t grp, index_t m, index_t col, M v) {
        part[(z * g.O + grp * Og + m) * cols + col] = v;
      });
}
