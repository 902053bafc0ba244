// Fused loss backward kernels (references: registered with the losses, gradcore/ops/loss.py;
// same names).
//   pointwise_loss_backward<Op, T>  gx = Op(x, t, param) * norm * gy   (mse, smooth_l1); gy is
//                                   x's shape (reduction='none', gy_step 1) or one element
//                                   (gy_step 0); norm folds the mean's 1/numel and mse's 2
//   nll_loss_backward<T>            the input gradient of nll_loss (cross_entropy's backward is
//                                   this kernel followed by log_softmax's)
#include "common.cuh"

struct mse_loss_backward {  // d/dx (x - t)^2 / 2: (x - t) (the 2 is in norm)
  template <typename M> __device__ M operator()(M x, M t, M) const { return x - t; }
};

struct smooth_l1_loss_backward {  // clip((x - t) / beta, -1, 1); NaN stays NaN
  template <typename M> __device__ M operator()(M x, M t, M beta) const {
    const M d = (x - t) / beta;
    return d < M(-1) ? M(-1) : (d > M(1) ? M(1) : d);
  }
};

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
pointwise_loss_backward(const T* __restrict__ x, const T* __restrict__ t,
                        const T* __restrict__ gy, T* __restrict__ gx, index_t n,
                        index_t gy_step, opmath_t<T> norm, opmath_t<T> param) {
  const Op op;
  gc_for_each(n, [&](index_t i) {
    gc_store(gx, i, op(gc_load(x, i), gc_load(t, i), param) * norm * gc_load(gy, i * gy_step));
  });
}

// Input of shape (N, C, S) (S: the spatial dims, flattened); target (N, S), int64.
// flags: 1 a class weight is given, 2 gy has one value per target (reduction='none'),
//        4 divide by total_weight (reduction='mean').
#define GC_NLL_WEIGHT 1
#define GC_NLL_PER_TARGET 2
#define GC_NLL_MEAN 4

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
nll_loss_backward(const T* __restrict__ gy, const index_t* __restrict__ target,
                  const T* __restrict__ weight, const T* __restrict__ total_weight,
                  T* __restrict__ gx, index_t N, index_t C, index_t S, index_t ignore_index,
                  int flags) {
  typedef opmath_t<T> M;
  gc_for_each(N * C * S, [&](index_t i) {
    const index_t nc = gc_div(i, S), s = i - nc * S;
    const index_t n = gc_div(nc, C), c = nc - n * C;
    const index_t j = n * S + s;
    const index_t t = target[j];
    M v = M(0);
    if (t == c && t != ignore_index) {
      v = -((flags & GC_NLL_WEIGHT) ? gc_load(weight, t) : M(1));
      v = v * gc_load(gy, (flags & GC_NLL_PER_TARGET) ? j : 0);
      if (flags & GC_NLL_MEAN) v = v / gc_load(total_weight, 0);
    }
    gc_store(gx, i, v);
  });
}
