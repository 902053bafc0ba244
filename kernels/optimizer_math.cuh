// The optimizers' per-element arithmetic, shared by the per-parameter kernels (optimizer.cu)
// and the multi-tensor ones (multi_tensor.cu).  It follows sgd_step_ / adam_step_ in
// gradcore/optim/ (PyTorch's single-tensor arithmetic) operation for operation, with
// correctly rounded, never-fused operations (gc_*_rn) -- except where PyTorch's own kernel is
// one fused multiply-add: ``x.add(y, alpha=a)`` is fma(y, a, x) (gradcore/ops/scaled_add.py
// is the NumPy side) -- in the math type M (the storage type, or float for half and bfloat16
// storage), every scalar already rounded to M by the launcher.
#pragma once

// The gradient an update uses: -g when maximizing, plus weight_decay * p (coupled decay:
// PyTorch's grad.add(param, alpha=weight_decay), one fma).
template <typename M>
__device__ __forceinline__ M gc_optim_grad(M p, M g, M weight_decay, bool decay, bool maximize) {
  const M d = maximize ? -g : g;
  return decay ? fma(p, weight_decay, d) : d;
}

#define GC_SGD_DECAY 1
#define GC_SGD_MAXIMIZE 2
#define GC_SGD_MOMENTUM 4
#define GC_SGD_FIRST 8       // the momentum buffer is set to the gradient
#define GC_SGD_DAMPENING 16
#define GC_SGD_NESTEROV 32

// One element of SGD: p and (with GC_SGD_MOMENTUM) buf updated in place; buf is neither
// read nor written without momentum.
template <typename M>
__device__ __forceinline__ void gc_sgd_element(M& p, M g, M& buf, M weight_decay, M momentum,
                                               M one_minus_dampening, M neg_lr, int flags) {
  M d = gc_optim_grad(p, g, weight_decay, flags & GC_SGD_DECAY, flags & GC_SGD_MAXIMIZE);
  if (flags & GC_SGD_MOMENTUM) {
    M b;
    if (flags & GC_SGD_FIRST) {
      b = d;
    } else {
      // buf.mul_(momentum).add_(d, alpha=1 - dampening)
      b = gc_mul_rn(buf, momentum);
      b = (flags & GC_SGD_DAMPENING) ? fma(d, one_minus_dampening, b) : gc_add_rn(b, d);
    }
    buf = b;
    d = (flags & GC_SGD_NESTEROV) ? fma(b, momentum, d) : b;  // d.add(buf, alpha=momentum)
  }
  p = fma(d, neg_lr, p);  // param.add_(d, alpha=-lr)
}

#define GC_ADAM_DECOUPLED 1  // p *= 1 - lr * weight_decay first (AdamW)
#define GC_ADAM_DECAY 2      // coupled weight decay: the gradient gets weight_decay * p
#define GC_ADAM_MAXIMIZE 4
#define GC_ADAM_AMSGRAD 8    // max_exp_avg_sq is read and written (otherwise untouched)
#define GC_ADAM_SMALL_W 16   // lerp's weight w = 1 - beta1 is below 0.5: m + w (d - m)

// Adam's scalars, each rounded to M (the per-tensor bias corrections come separately).
template <typename M>
struct gc_adam_scalars {
  M decoupled_factor, weight_decay, w, one_minus_w, beta2, one_minus_beta2, eps;
};

// One element of Adam/AdamW: p, m (exp_avg), v (exp_avg_sq) and, with GC_ADAM_AMSGRAD, vmax
// (max_exp_avg_sq) updated in place.
template <typename M>
__device__ __forceinline__ void gc_adam_element(M& p, M g, M& m, M& v, M& vmax,
                                                const gc_adam_scalars<M>& s,
                                                M bias_correction2_sqrt, M neg_step_size,
                                                int flags) {
  M pi = p;
  if (flags & GC_ADAM_DECOUPLED) pi = gc_mul_rn(pi, s.decoupled_factor);
  const M d = gc_optim_grad(pi, g, s.weight_decay, flags & GC_ADAM_DECAY,
                            flags & GC_ADAM_MAXIMIZE);
  // exp_avg = lerp(exp_avg, d, w), PyTorch's two-sided formula
  const M diff = gc_sub_rn(d, m);
  m = (flags & GC_ADAM_SMALL_W) ? gc_add_rn(m, gc_mul_rn(diff, s.w))
                                : gc_sub_rn(d, gc_mul_rn(diff, s.one_minus_w));
  // exp_avg_sq = exp_avg_sq * beta2 + (d * (1 - beta2)) * d
  v = gc_add_rn(gc_mul_rn(v, s.beta2), gc_mul_rn(gc_mul_rn(d, s.one_minus_beta2), d));
  M second = v;
  if (flags & GC_ADAM_AMSGRAD) {
    second = gc_nan_max(vmax, v);
    vmax = second;
  }
  const M denom = gc_add_rn(gc_div_rn(gc_sqrt_rn(second), bias_correction2_sqrt), s.eps);
  p = gc_add_rn(pi, gc_div_rn(gc_mul_rn(m, neg_step_size), denom));
}
