// Multi-tensor optimizer updates (PyTorch's multi_tensor_apply, as its foreach / fused SGD and
// Adam): one launch updates many parameters.  The launcher (gradcore/backend/multi_tensor.py)
// cuts every tensor of a list into chunks of `chunk` elements (4096 to 65536, PyTorch's size:
// the smallest power of two that gives two blocks per SM) and passes, by value, a
// table (gc_tensor_list, PyTorch's TensorListMetadata) of each tensor's addresses -- the
// parameter, its gradient and its state, list k at addr[k] -- and element count, and for each
// block of the launch which chunk of which tensor it updates.  A launch takes up to
// GC_MT_TENSORS tensors and GC_MT_BLOCKS chunks; a longer list takes several launches.
//
// The arithmetic is the per-parameter kernels' (optimizer_math.cuh, the NumPy reference's
// operation for operation) in opmath_t<T>: float32 for float16 and bfloat16 storage, each
// value rounded to the storage type once, when it is stored (PyTorch's foreach/fused
// kernels), so a half update is the float32 reference on the widened arrays, rounded.
#include "common.cuh"
#include "bfloat16.cuh"
#include "optimizer_math.cuh"

// ---- the tensor table --------------------------------------------------------------------------

#define GC_MT_DEPTH 5        // lists a table holds: param, grad and up to three state tensors
#define GC_MT_TENSORS 32     // tensors a launch takes
#define GC_MT_BLOCKS 320     // chunks (= blocks) a launch takes

// The launcher builds it as a NumPy structured scalar of the same layout
// (gradcore/backend/multi_tensor.py: TENSOR_LIST).  Addresses are device pointers as integers.
struct gc_tensor_list {
  index_t addr[GC_MT_DEPTH][GC_MT_TENSORS];
  index_t numel[GC_MT_TENSORS];
  double neg_step_size[GC_MT_TENSORS];          // Adam: -lr / (1 - beta1 ** step), per tensor
  double bias_correction2_sqrt[GC_MT_TENSORS];  // Adam: (1 - beta2 ** step) ** 0.5
  int block_chunk[GC_MT_BLOCKS];
  unsigned char block_tensor[GC_MT_BLOCKS];
};
static_assert(sizeof(gc_tensor_list) == 3648, "the launcher's TENSOR_LIST layout");

// f(i) for i in [0, n) by the threads of one block: tiles of GC_UNROLL * blockDim.x elements.
template <typename F>
__device__ __forceinline__ void gc_for_each_in_block(index_t n, F f) {
  const index_t tile = (index_t)blockDim.x * GC_UNROLL;
  for (index_t base = 0; base < n; base += tile) {
#pragma unroll
    for (int j = 0; j < GC_UNROLL; ++j) {
      const index_t i = base + threadIdx.x + (index_t)j * blockDim.x;
      if (i < n) f(i);
    }
  }
}

// ---- SGD: lists p, grad and (with GC_SGD_MOMENTUM) momentum_buffer ---------------------------

// nblocks: the table's chunks, of `chunk` elements; any grid works (a block takes chunks
// blockIdx.x, + gridDim.x ...).
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
multi_tensor_sgd(const gc_tensor_list tl, int nblocks, index_t chunk, opmath_t<T> weight_decay,
                 opmath_t<T> momentum, opmath_t<T> one_minus_dampening, opmath_t<T> neg_lr,
                 int flags) {
  typedef opmath_t<T> M;
  const bool read_buf = (flags & GC_SGD_MOMENTUM) && !(flags & GC_SGD_FIRST);
  for (int b = blockIdx.x; b < nblocks; b += gridDim.x) {
    const int t = tl.block_tensor[b];
    const index_t lo = (index_t)tl.block_chunk[b] * chunk;
    const index_t left = tl.numel[t] - lo;
    const index_t n = left < chunk ? left : chunk;
    T* __restrict__ p = (T*)tl.addr[0][t] + lo;
    const T* __restrict__ g = (const T*)tl.addr[1][t] + lo;
    T* __restrict__ buf = (T*)tl.addr[2][t] + lo;
    gc_for_each_in_block(n, [&](index_t i) {
      M pi = gc_load(p, i), bi = read_buf ? gc_load(buf, i) : M(0);
      gc_sgd_element(pi, gc_load(g, i), bi, weight_decay, momentum, one_minus_dampening,
                     neg_lr, flags);
      if (flags & GC_SGD_MOMENTUM) gc_store(buf, i, bi);
      gc_store(p, i, pi);
    });
  }
}

// ---- Adam / AdamW: lists p, grad, exp_avg, exp_avg_sq and (amsgrad) max_exp_avg_sq ----------

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
multi_tensor_adam(const gc_tensor_list tl, int nblocks, index_t chunk,
                  opmath_t<T> decoupled_factor,
                  opmath_t<T> weight_decay, opmath_t<T> w, opmath_t<T> one_minus_w,
                  opmath_t<T> beta2, opmath_t<T> one_minus_beta2, opmath_t<T> eps, int flags) {
  typedef opmath_t<T> M;
  const gc_adam_scalars<M> s = {decoupled_factor, weight_decay, w, one_minus_w, beta2,
                                one_minus_beta2, eps};
  for (int b = blockIdx.x; b < nblocks; b += gridDim.x) {
    const int t = tl.block_tensor[b];
    const index_t lo = (index_t)tl.block_chunk[b] * chunk;
    const index_t left = tl.numel[t] - lo;
    const index_t n = left < chunk ? left : chunk;
    const M bc2 = (M)tl.bias_correction2_sqrt[t], neg_step_size = (M)tl.neg_step_size[t];
    T* __restrict__ p = (T*)tl.addr[0][t] + lo;
    const T* __restrict__ g = (const T*)tl.addr[1][t] + lo;
    T* __restrict__ exp_avg = (T*)tl.addr[2][t] + lo;
    T* __restrict__ exp_avg_sq = (T*)tl.addr[3][t] + lo;
    T* __restrict__ max_exp_avg_sq = (T*)tl.addr[4][t] + lo;
    gc_for_each_in_block(n, [&](index_t i) {
      M pi = gc_load(p, i), m = gc_load(exp_avg, i), v = gc_load(exp_avg_sq, i);
      M vmax = (flags & GC_ADAM_AMSGRAD) ? gc_load(max_exp_avg_sq, i) : M(0);
      gc_adam_element(pi, gc_load(g, i), m, v, vmax, s, bc2, neg_step_size, flags);
      if (flags & GC_ADAM_AMSGRAD) gc_store(max_exp_avg_sq, i, vmax);
      gc_store(p, i, pi);
      gc_store(exp_avg, i, m);
      gc_store(exp_avg_sq, i, v);
    });
  }
}
