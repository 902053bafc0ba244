// Elementwise backward kernels: the gradients of the unary and binary elementwise ops.
//
// Each op is a small struct named after its NumPy reference (a kernel declared with its op in
// gradcore/ops/*.py and registered in gradcore/backend/kernels.py; same name) and follows
// that reference's arithmetic
// operation for operation; the kernels are templates over the op and the storage type:
//   unary_backward<Op, T>            gx = Op(s, gy, p0, p1)   s: the saved input or output
//   binary_backward<Op, T>           (ga, gb) = Op(a, b, gy)  both gradients in one pass
//   pow_tensor_backward<T>           (ga, gb) of a ** b, from a, b, y = a ** b and gy
//   where_backward<T>                (ga, gb) = (cond ? gy : 0, cond ? 0 : gy)
// each with a *_strided twin that reads broadcast or non-contiguous inputs through a Geom (a
// thread per element: the index arithmetic, not the loads, bounds it).
// Outputs have the broadcast shape; the caller sums them down to each input (sum_to).
#include "common.cuh"
#include "trig.cuh"

// ---- unary ops: M operator()(s, gy, p0, p1) in opmath ---------------------------------------

struct relu_backward {  // s = y; PyTorch's threshold_backward: nan passes, inf * 0 is not made
  template <typename M> __device__ M operator()(M y, M gy, M, M) const {
    return y <= M(0) ? M(0) : gy;
  }
};

struct sigmoid_backward {  // s = y
  template <typename M> __device__ M operator()(M y, M gy, M, M) const {
    return gy * y * (M(1) - y);
  }
};

struct tanh_backward {  // s = y
  template <typename M> __device__ M operator()(M y, M gy, M, M) const {
    return gy * (M(1) - y * y);
  }
};

struct exp_backward {  // s = y
  template <typename M> __device__ M operator()(M y, M gy, M, M) const { return gy * y; }
};

struct log_backward {  // s = x
  template <typename M> __device__ M operator()(M x, M gy, M, M) const { return gy / x; }
};

struct sqrt_backward {  // s = y
  template <typename M> __device__ M operator()(M y, M gy, M, M) const {
    return gy / (M(2) * y);
  }
};

struct abs_backward {  // s = x; NumPy's sign: +-1, 0 for +-0, NaN for NaN
  template <typename M> __device__ M operator()(M x, M gy, M, M) const {
    const M sign = x > M(0) ? M(1) : (x < M(0) ? M(-1) : (x == M(0) ? M(0) : x));
    return gy * sign;
  }
};

struct sin_backward {  // s = x; cos without CUDA's stack frame (trig.cuh)
  template <typename M> __device__ M operator()(M x, M gy, M, M) const {
    return gy * gc_cos(x);
  }
};

struct cos_backward {  // s = x
  template <typename M> __device__ M operator()(M x, M gy, M, M) const {
    return -gy * gc_sin(x);
  }
};

struct pow_backward {  // s = x; p0 = exponent, p1 = exponent - 1 (zero when exponent == 0)
  template <typename M> __device__ M operator()(M x, M gy, M e, M e_minus_1) const {
    return e == M(0) ? M(0) : gy * e * gc_pow(x, e_minus_1);
  }
};

struct clamp_backward {  // s = x; p0 = min (-inf: none), p1 = max (+inf: none)
  template <typename M> __device__ M operator()(M x, M gy, M lo, M hi) const {
    return gy * M(x >= lo && x <= hi);
  }
};

struct leaky_relu_backward {  // s = x; p0 = negative_slope
  template <typename M> __device__ M operator()(M x, M gy, M slope, M) const {
    return x > M(0) ? gy : gy * slope;
  }
};

struct gelu_backward {  // s = x; approximate='none': Phi(x) + x phi(x)
  template <typename M> __device__ M operator()(M x, M gy, M, M) const {
    const M cdf = M(0.5) * (M(1) + gc_erf(x * M(0.70710678118654752440)));
    const M pdf = M(0.39894228040143267794) * gc_exp(M(-0.5) * x * x);
    return gy * (cdf + x * pdf);
  }
};

struct gelu_tanh_backward {  // s = x; approximate='tanh'
  template <typename M> __device__ M operator()(M x, M gy, M, M) const {
    const M beta = M(0.79788456080286535588), kappa = M(0.044715);
    const M x_sq = x * x;
    const M t = gc_tanh(beta * (x + kappa * x_sq * x));
    const M d_inner = beta * (M(1) + M(3) * kappa * x_sq);
    return gy * (M(0.5) * (M(1) + t) + M(0.5) * x * (M(1) - t * t) * d_inner);
  }
};

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
unary_backward(const T* __restrict__ s, const T* __restrict__ gy, T* __restrict__ gx,
               index_t n, opmath_t<T> p0, opmath_t<T> p1) {
  const Op op;
  gc_for_each(n, [&](index_t i) {
    gc_store(gx, i, op(gc_load(s, i), gc_load(gy, i), p0, p1));
  });
}

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
unary_backward_strided(const T* __restrict__ s, const T* __restrict__ gy, T* __restrict__ gx,
                       const Geom g, opmath_t<T> p0, opmath_t<T> p1) {
  const Op op;
  gc_for_each_thread(g.size, [&](index_t i) {
    index_t off[2];
    gc_offsets<2>(g, i, off);
    gc_store(gx, i, op(gc_load(s, off[0]), gc_load(gy, off[1]), p0, p1));
  });
}

// ---- binary ops: void operator()(a, b, gy, ga&, gb&) ----------------------------------------

struct mul_backward {
  template <typename M> __device__ void operator()(M a, M b, M gy, M& ga, M& gb) const {
    ga = gy * b;
    gb = gy * a;
  }
};

struct div_backward {
  template <typename M> __device__ void operator()(M a, M b, M gy, M& ga, M& gb) const {
    ga = gy / b;
    gb = -ga * a / b;
  }
};

struct maximum_backward {  // ties share the gradient half and half
  template <typename M> __device__ void operator()(M a, M b, M gy, M& ga, M& gb) const {
    const M half = gy * M(0.5);
    ga = a > b ? gy : (a == b ? half : M(0));
    gb = b > a ? gy : (a == b ? half : M(0));
  }
};

struct minimum_backward {
  template <typename M> __device__ void operator()(M a, M b, M gy, M& ga, M& gb) const {
    maximum_backward()(b, a, gy, ga, gb);
  }
};

struct atan2_backward {  // d atan2(a, b) = (b, -a) / (a^2 + b^2)
  template <typename M> __device__ void operator()(M a, M b, M gy, M& ga, M& gb) const {
    const M recip = M(1) / (a * a + b * b);
    ga = gy * b * recip;
    gb = gy * -a * recip;
  }
};

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
binary_backward(const T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ gy,
                T* __restrict__ ga, T* __restrict__ gb, index_t n) {
  const Op op;
  gc_for_each(n, [&](index_t i) {
    opmath_t<T> da, db;
    op(gc_load(a, i), gc_load(b, i), gc_load(gy, i), da, db);
    gc_store(ga, i, da);
    gc_store(gb, i, db);
  });
}

template <typename Op, typename T>
__global__ void __launch_bounds__(GC_THREADS)
binary_backward_strided(const T* __restrict__ a, const T* __restrict__ b,
                        const T* __restrict__ gy, T* __restrict__ ga, T* __restrict__ gb,
                        const Geom g) {
  const Op op;
  gc_for_each_thread(g.size, [&](index_t i) {
    index_t off[3];
    gc_offsets<3>(g, i, off);
    opmath_t<T> da, db;
    op(gc_load(a, off[0]), gc_load(b, off[1]), gc_load(gy, off[2]), da, db);
    gc_store(ga, i, da);
    gc_store(gb, i, db);
  });
}

// ---- a ** b (both tensors) -------------------------------------------------------------------

template <typename M>
__device__ __forceinline__ void gc_pow_tensor_grads(M a, M b, M y, M gy, M& ga, M& gb) {
  ga = b == M(0) ? M(0) : gy * b * gc_pow(a, b - M(1));
  gb = (a == M(0) && b >= M(0)) ? M(0) : gy * y * gc_log(a);
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
pow_tensor_backward(const T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ y,
                    const T* __restrict__ gy, T* __restrict__ ga, T* __restrict__ gb,
                    index_t n) {
  gc_for_each(n, [&](index_t i) {
    opmath_t<T> da, db;
    gc_pow_tensor_grads(gc_load(a, i), gc_load(b, i), gc_load(y, i), gc_load(gy, i), da, db);
    gc_store(ga, i, da);
    gc_store(gb, i, db);
  });
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
pow_tensor_backward_strided(const T* __restrict__ a, const T* __restrict__ b,
                            const T* __restrict__ y, const T* __restrict__ gy,
                            T* __restrict__ ga, T* __restrict__ gb, const Geom g) {
  gc_for_each_thread(g.size, [&](index_t i) {
    index_t off[4];
    gc_offsets<4>(g, i, off);
    opmath_t<T> da, db;
    gc_pow_tensor_grads(gc_load(a, off[0]), gc_load(b, off[1]), gc_load(y, off[2]),
                        gc_load(gy, off[3]), da, db);
    gc_store(ga, i, da);
    gc_store(gb, i, db);
  });
}

// ---- where(cond, a, b): cond is a bool array (one byte per element) --------------------------

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
where_backward(const unsigned char* __restrict__ cond, const T* __restrict__ gy,
               T* __restrict__ ga, T* __restrict__ gb, index_t n) {
  gc_for_each(n, [&](index_t i) {
    const opmath_t<T> g = gc_load(gy, i), zero = 0;
    const bool c = cond[i] != 0;
    gc_store(ga, i, c ? g : zero);
    gc_store(gb, i, c ? zero : g);
  });
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
where_backward_strided(const unsigned char* __restrict__ cond, const T* __restrict__ gy,
                       T* __restrict__ ga, T* __restrict__ gb, const Geom g) {
  gc_for_each_thread(g.size, [&](index_t i) {
    index_t off[2];
    gc_offsets<2>(g, i, off);
    const opmath_t<T> v = gc_load(gy, off[1]), zero = 0;
    const bool c = cond[off[0]] != 0;
    gc_store(ga, i, c ? v : zero);
    gc_store(gb, i, c ? zero : v);
  });
}
