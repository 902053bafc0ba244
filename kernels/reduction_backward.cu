// Reduction backward kernels.  Reductions see their input as a C-contiguous (P, R, Q) block
// reduced over R (the launcher collapses dims to that form):
//   sum_rows<T>, sum_cols<T>          sum_to: partial sums over fixed chunks of R (Q == 1: a
//                                     warp per (row, chunk); Q > 1: a thread per (row, chunk,
//                                     column)); the launcher repeats until one chunk is left.
//                                     Fixed order, no atomics: bit-identical on every run.
//   expand_scale<T>                   sum/mean backward: gy broadcast back (strided), * scale
//   extremum_backward_{rows,cols}<T>  amax/amin backward: gy / (number of ties) at the ties
//   index_backward_along<T>           max(dim)/min(dim) backward: gy at the argmax, 0 elsewhere
//   softmax_{rows,cols}<Op, T>        softmax / log_softmax backward along R
#include "common.cuh"

// ---- sum_to ----------------------------------------------------------------------------------

// out[u] = sum of g[p, r] for r in chunk c of row p, u = p * C + c  (rows of length R, Q == 1).
// Each lane keeps GC_ROW_ILP partial sums (that many loads in flight), combined in a fixed order.
#define GC_ROW_ILP 8
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
sum_rows(const T* __restrict__ g, T* __restrict__ out, index_t units, index_t R, index_t C,
         index_t chunk) {
  gc_for_each_warp(units, [&](index_t u, int lane) {
    const index_t p = gc_div(u, C), c = u - p * C;
    const T* row = g + p * R;
    const index_t lo = c * chunk, hi = min(R, lo + chunk);
    T acc[GC_ROW_ILP];
#pragma unroll
    for (int j = 0; j < GC_ROW_ILP; ++j) acc[j] = T(0);
    index_t r = lo + lane;
    for (; r + (GC_ROW_ILP - 1) * 32 < hi; r += GC_ROW_ILP * 32) {
#pragma unroll
      for (int j = 0; j < GC_ROW_ILP; ++j) acc[j] += row[r + j * 32];
    }
    for (; r < hi; r += 32) acc[0] += row[r];
    T total = acc[0];
#pragma unroll
    for (int j = 1; j < GC_ROW_ILP; ++j) total += acc[j];
    total = gc_warp_sum(total);
    if (lane == 0) out[u] = total;
  });
}

// out[(p * C + c) * Q + q] = sum of g[p, r, q] for r in chunk c  (Q > 1: coalesced along q)
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
sum_cols(const T* __restrict__ g, T* __restrict__ out, index_t P, index_t R, index_t Q,
         index_t C, index_t chunk) {
  gc_for_each_thread(P * C * Q, [&](index_t u) {
    const index_t pc = gc_div(u, Q), q = u - pc * Q;
    const index_t p = gc_div(pc, C), c = pc - p * C;
    const index_t lo = c * chunk, hi = min(R, lo + chunk);
    const T* col = g + p * R * Q + q;
    T acc = T(0);
#pragma unroll 8
    for (index_t r = lo; r < hi; ++r) acc += col[r * Q];
    out[u] = acc;
  });
}

// ---- sum / mean backward: broadcast gy back to the input's shape -----------------------------

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
expand_scale(const T* __restrict__ gy, T* __restrict__ out, const Geom g, opmath_t<T> scale) {
  gc_for_each_thread(g.size, [&](index_t i) {
    index_t off[1];
    gc_offsets<1>(g, i, off);
    gc_store(out, i, gc_load(gy, off[0]) * scale);
  });
}

// ---- amax / amin backward: x (P, R, Q); y, gy (P, Q) -----------------------------------------

// out = (gy / count) * (x == y), count = number of x == y in the slice (as the reference)
template <typename T>
__device__ __forceinline__ void gc_extremum_write(const T* x, T* out, opmath_t<T> y,
                                                  opmath_t<T> share, index_t i) {
  typedef opmath_t<T> M;
  gc_store(out, i, share * M(gc_load(x, i) == y));
}

template <typename T>
__device__ __forceinline__ opmath_t<T> gc_round_to(opmath_t<T> v) {
  return v;
}
template <>
__device__ __forceinline__ float gc_round_to<gc_half>(float v) {
  return gc_half_to_float(gc_float_to_half(v));  // the reference divides in half precision
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
extremum_backward_rows(const T* __restrict__ x, const T* __restrict__ y,
                       const T* __restrict__ gy, T* __restrict__ out, index_t P, index_t R) {
  typedef opmath_t<T> M;
  gc_for_each_warp(P, [&](index_t p, int lane) {
    const M yp = gc_load(y, p);
    const index_t base = p * R;
    index_t count = 0;
    for (index_t r = lane; r < R; r += 32) count += gc_load(x, base + r) == yp;
    count = gc_warp_sum(count);
    const M share = gc_round_to<T>(gc_load(gy, p) / M(count));
    for (index_t r = lane; r < R; r += 32) gc_extremum_write(x, out, yp, share, base + r);
  });
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
extremum_backward_cols(const T* __restrict__ x, const T* __restrict__ y,
                       const T* __restrict__ gy, T* __restrict__ out, index_t P, index_t R,
                       index_t Q) {
  typedef opmath_t<T> M;
  gc_for_each_thread(P * Q, [&](index_t u) {
    const index_t p = gc_div(u, Q), q = u - p * Q;
    const M yu = gc_load(y, u);
    const index_t base = p * R * Q + q;
    index_t count = 0;
    for (index_t r = 0; r < R; ++r) count += gc_load(x, base + r * Q) == yu;
    const M share = gc_round_to<T>(gc_load(gy, u) / M(count));
    for (index_t r = 0; r < R; ++r) gc_extremum_write(x, out, yu, share, base + r * Q);
  });
}

// ---- max(dim) / min(dim) backward: idx, gy (P, Q) -> out (P, R, Q) ---------------------------

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
index_backward_along(const index_t* __restrict__ idx, const T* __restrict__ gy,
                     T* __restrict__ out, index_t P, index_t R, index_t Q) {
  typedef opmath_t<T> M;
  gc_for_each(P * R * Q, [&](index_t i) {
    const index_t pr = gc_div(i, Q), q = i - pr * Q;
    const index_t p = gc_div(pr, R), r = pr - p * R;
    const index_t j = p * Q + q;
    gc_store(out, i, idx[j] == r ? gc_load(gy, j) : M(0));
  });
}

// ---- softmax / log_softmax backward along R: s = sum of term(y, gy); gx = apply(y, gy, s) ----

struct softmax_backward {  // gx = gy*y - y * sum(gy*y)
  template <typename M> __device__ M term(M y, M gy) const { return gy * y; }
  template <typename M> __device__ M apply(M y, M gy, M s) const { return gy * y - y * s; }
};

struct log_softmax_backward {  // gx = gy - exp(y) * sum(gy)
  template <typename M> __device__ M term(M, M gy) const { return gy; }
  template <typename M> __device__ M apply(M y, M gy, M s) const { return gy - gc_exp(y) * s; }
};

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
softmax_rows(const T* __restrict__ y, const T* __restrict__ gy, T* __restrict__ gx, index_t P,
             index_t R) {
  typedef opmath_t<T> M;
  const Op op;
  gc_for_each_warp(P, [&](index_t p, int lane) {
    const index_t base = p * R;
    M acc = M(0);
    for (index_t r = lane; r < R; r += 32) {
      acc += op.term(gc_load(y, base + r), gc_load(gy, base + r));
    }
    const M s = gc_warp_sum(acc);
    for (index_t r = lane; r < R; r += 32) {
      const index_t i = base + r;
      gc_store(gx, i, op.apply(gc_load(y, i), gc_load(gy, i), s));
    }
  });
}

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
softmax_cols(const T* __restrict__ y, const T* __restrict__ gy, T* __restrict__ gx, index_t P,
             index_t R, index_t Q) {
  typedef opmath_t<T> M;
  const Op op;
  gc_for_each_thread(P * Q, [&](index_t u) {
    const index_t p = gc_div(u, Q), q = u - p * Q;
    const index_t base = p * R * Q + q;
    M s = M(0);
    for (index_t r = 0; r < R; ++r) {
      s += op.term(gc_load(y, base + r * Q), gc_load(gy, base + r * Q));
    }
    for (index_t r = 0; r < R; ++r) {
      const index_t i = base + r * Q;
      gc_store(gx, i, op.apply(gc_load(y, i), gc_load(gy, i), s));
    }
  });
}
