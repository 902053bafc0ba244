// Fused optimizer updates: one kernel per parameter tensor, in place on the parameter and its
// state.  They follow sgd_step_ / adam_step_ in gradcore/optim/ (PyTorch's single-tensor
// arithmetic) operation for operation, with correctly rounded, never-fused operations
// (gc_*_rn), and every scalar already rounded to T by the launcher as NumPy rounds a Python
// float against an array of T.
#include "common.cuh"

// The gradient an update uses: -g when maximizing, plus weight_decay * p (coupled decay).
template <typename T>
__device__ __forceinline__ T gc_optim_grad(T p, T g, T weight_decay, bool decay, bool maximize) {
  if (decay) {
    const T d = gc_mul_rn(p, weight_decay);
    return maximize ? gc_sub_rn(d, g) : gc_add_rn(d, g);
  }
  return maximize ? -g : g;
}

#define GC_SGD_DECAY 1
#define GC_SGD_MAXIMIZE 2
#define GC_SGD_MOMENTUM 4
#define GC_SGD_FIRST 8       // the momentum buffer is set to the gradient
#define GC_SGD_DAMPENING 16
#define GC_SGD_NESTEROV 32

// buf is read and written only with GC_SGD_MOMENTUM (otherwise any valid pointer).
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
sgd_step(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ buf, index_t n,
         T weight_decay, T momentum, T one_minus_dampening, T neg_lr, int flags) {
  gc_for_each(n, [&](index_t i) {
    const T pi = p[i];
    T d = gc_optim_grad(pi, g[i], weight_decay, flags & GC_SGD_DECAY, flags & GC_SGD_MAXIMIZE);
    if (flags & GC_SGD_MOMENTUM) {
      T b;
      if (flags & GC_SGD_FIRST) {
        b = d;
      } else {
        b = gc_mul_rn(buf[i], momentum);
        if (flags & GC_SGD_DAMPENING) d = gc_mul_rn(d, one_minus_dampening);
        b = gc_add_rn(b, d);
      }
      buf[i] = b;
      d = (flags & GC_SGD_NESTEROV) ? gc_add_rn(d, gc_mul_rn(b, momentum)) : b;
    }
    p[i] = gc_add_rn(pi, gc_mul_rn(d, neg_lr));
  });
}

#define GC_ADAM_DECOUPLED 1  // p *= 1 - lr * weight_decay first (AdamW)
#define GC_ADAM_DECAY 2      // coupled weight decay: the gradient gets weight_decay * p
#define GC_ADAM_MAXIMIZE 4
#define GC_ADAM_AMSGRAD 8    // max_exp_avg_sq is read and written (otherwise any valid pointer)
#define GC_ADAM_SMALL_W 16   // lerp's weight w = 1 - beta1 is below 0.5: m + w (d - m)

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
adam_step(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ exp_avg,
          T* __restrict__ exp_avg_sq, T* __restrict__ max_exp_avg_sq, index_t n,
          T decoupled_factor, T weight_decay, T w, T one_minus_w, T beta2, T one_minus_beta2,
          T bias_correction2_sqrt, T eps, T neg_step_size, int flags) {
  gc_for_each(n, [&](index_t i) {
    T pi = p[i];
    if (flags & GC_ADAM_DECOUPLED) pi = gc_mul_rn(pi, decoupled_factor);
    const T d = gc_optim_grad(pi, g[i], weight_decay, flags & GC_ADAM_DECAY,
                              flags & GC_ADAM_MAXIMIZE);
    // exp_avg = lerp(exp_avg, d, w), PyTorch's two-sided formula
    T m = exp_avg[i];
    const T diff = gc_sub_rn(d, m);
    m = (flags & GC_ADAM_SMALL_W) ? gc_add_rn(m, gc_mul_rn(diff, w))
                                  : gc_sub_rn(d, gc_mul_rn(diff, one_minus_w));
    // exp_avg_sq = exp_avg_sq * beta2 + (d * (1 - beta2)) * d
    const T v = gc_add_rn(gc_mul_rn(exp_avg_sq[i], beta2),
                          gc_mul_rn(gc_mul_rn(d, one_minus_beta2), d));
    T second = v;
    if (flags & GC_ADAM_AMSGRAD) {
      second = gc_nan_max(max_exp_avg_sq[i], v);
      max_exp_avg_sq[i] = second;
    }
    const T denom = gc_add_rn(gc_div_rn(gc_sqrt_rn(second), bias_correction2_sqrt), eps);
    p[i] = gc_add_rn(pi, gc_div_rn(gc_mul_rn(m, neg_step_size), denom));
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
  });
}
