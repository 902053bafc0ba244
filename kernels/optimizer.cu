// Fused optimizer updates: one kernel per parameter tensor, in place on the parameter and its
// state.  They follow sgd_step_ / adam_step_ in gradcore/optim/ (PyTorch's single-tensor
// arithmetic) operation for operation (the per-element math is optimizer_math.cuh's, shared
// with multi_tensor.cu), with correctly rounded, never-fused operations (gc_*_rn), and every
// scalar already rounded to T by the launcher as NumPy rounds a Python float against an
// array of T.
#include "common.cuh"
#include "optimizer_math.cuh"

// buf is read and written only with GC_SGD_MOMENTUM (otherwise any valid pointer).
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
sgd_step(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ buf, index_t n,
         T weight_decay, T momentum, T one_minus_dampening, T neg_lr, int flags) {
  gc_for_each(n, [&](index_t i) {
    T pi = p[i], b = (flags & GC_SGD_MOMENTUM) && !(flags & GC_SGD_FIRST) ? buf[i] : T(0);
    gc_sgd_element(pi, g[i], b, weight_decay, momentum, one_minus_dampening, neg_lr, flags);
    if (flags & GC_SGD_MOMENTUM) buf[i] = b;
    p[i] = pi;
  });
}

// max_exp_avg_sq is read and written only with GC_ADAM_AMSGRAD (otherwise any valid pointer).
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
adam_step(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ exp_avg,
          T* __restrict__ exp_avg_sq, T* __restrict__ max_exp_avg_sq, index_t n,
          T decoupled_factor, T weight_decay, T w, T one_minus_w, T beta2, T one_minus_beta2,
          T bias_correction2_sqrt, T eps, T neg_step_size, int flags) {
  const gc_adam_scalars<T> s = {decoupled_factor, weight_decay, w, one_minus_w, beta2,
                                one_minus_beta2, eps};
  gc_for_each(n, [&](index_t i) {
    T pi = p[i], m = exp_avg[i], v = exp_avg_sq[i];
    T vmax = (flags & GC_ADAM_AMSGRAD) ? max_exp_avg_sq[i] : T(0);
    gc_adam_element(pi, g[i], m, v, vmax, s, bias_correction2_sqrt, neg_step_size, flags);
    if (flags & GC_ADAM_AMSGRAD) max_exp_avg_sq[i] = vmax;
    p[i] = pi;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
  });
}
