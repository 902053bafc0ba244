// A GEMM's epilogue as one pass each way: y = act(x + b) after y0 = x @ W^T (CuPy 14 exposes
// no cuBLASLt, so no CUBLASLT_EPILOGUE_*_BIAS: bench/NOTES.md), and its backward -- the
// gradient through the activation and the bias gradient's column sums -- in one read of gy.
// References: gradcore/ops/bias_act.py (bias_act_forward, bias_act_backward).
//
//   bias_act_forward<T>   x (rows, cols) += b (cols), rounded to T (the pre-activation, kept
//                         in x in place: gelu's backward reads it); y = act(x) (may be x
//                         itself for act = none)
//   bias_act_backward<T>  gx = gy * act'(s) (s: y for relu, the pre-activation for gelu,
//                         unread for none) and part[z, col] = sum of gx over the z-th chunk
//                         of `chunk` rows (in opmath_t<T>); the launcher sums the chunks with
//                         sum_to's deterministic passes
//
// act: 0 none, 1 relu (PyTorch's: NaN passes; backward threshold_backward on y), 2 gelu
// (erf), 3 gelu with approximate='tanh'.  Every array C-contiguous.
#include "common.cuh"
#include "bfloat16.cuh"

#define GC_ACT_NONE 0
#define GC_ACT_RELU 1
#define GC_ACT_GELU 2
#define GC_ACT_GELU_TANH 3

// v rounded to the storage type T and read back in opmath
template <typename T>
__device__ __forceinline__ opmath_t<T> gc_round_to(opmath_t<T> v) {
  T t[1];
  gc_store(t, 0, v);
  return gc_load(t, 0);
}

template <typename M>
__device__ __forceinline__ M gc_act(M x, int act) {
  if (act == GC_ACT_RELU) return gc_nan_max(x, M(0));
  if (act == GC_ACT_GELU) return M(0.5) * x * (M(1) + gc_erf(x * M(0.70710678118654752440)));
  if (act == GC_ACT_GELU_TANH) {
    const M beta = M(0.79788456080286535588), kappa = M(0.044715);
    return M(0.5) * x * (M(1) + gc_tanh(beta * (x + kappa * (x * x * x))));
  }
  return x;
}

// gy times the activation's derivative at s (y for relu, the pre-activation for gelu)
template <typename M>
__device__ __forceinline__ M gc_act_grad(M s, M gy, int act) {
  if (act == GC_ACT_RELU) return s <= M(0) ? M(0) : gy;
  if (act == GC_ACT_GELU) {
    const M cdf = M(0.5) * (M(1) + gc_erf(s * M(0.70710678118654752440)));
    const M pdf = M(0.39894228040143267794) * gc_exp(M(-0.5) * s * s);
    return gy * (cdf + s * pdf);
  }
  if (act == GC_ACT_GELU_TANH) {
    const M beta = M(0.79788456080286535588), kappa = M(0.044715);
    const M x_sq = s * s;
    const M t = gc_tanh(beta * (s + kappa * x_sq * s));
    const M d_inner = beta * (M(1) + M(3) * kappa * x_sq);
    return gy * (M(0.5) * (M(1) + t) + M(0.5) * s * (M(1) - t * t) * d_inner);
  }
  return gy;
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
bias_act_forward(T* x, const T* __restrict__ b, T* y, index_t rows, index_t cols, int act) {
  typedef opmath_t<T> M;
  gc_for_each(rows * cols, [&](index_t e) {
    const index_t col = e - gc_div(e, cols) * cols;
    const M pre = gc_round_to<T>(gc_load(x, e) + gc_load(b, col));
    if (act != GC_ACT_NONE) gc_store(x, e, pre);
    gc_store(y, e, gc_act(pre, act));
  });
}

// A thread per (chunk, column): columns run across the threads (coalesced), rows down each.
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
bias_act_backward(const T* __restrict__ gy, const T* __restrict__ s, T* __restrict__ gx,
                  opmath_t<T>* __restrict__ part, index_t rows, index_t cols, index_t chunk,
                  int act) {
  typedef opmath_t<T> M;
  const index_t chunks = gc_div(rows + chunk - 1, chunk);
  gc_for_each_thread(chunks * cols, [&](index_t u) {
    const index_t z = gc_div(u, cols), col = u - z * cols;
    const index_t end = min(rows, (z + 1) * chunk);
    M acc = M(0);
#pragma unroll 1
    for (index_t r = z * chunk; r < end; ++r) {
      const index_t e = r * cols + col;
      const M g = gc_round_to<T>(gc_act_grad(act == GC_ACT_NONE ? M(0) : gc_load(s, e),
                                             gc_load(gy, e), act));
      gc_store(gx, e, g);
      acc += g;
    }
    part[u] = acc;
  });
}
