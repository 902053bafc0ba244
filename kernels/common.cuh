// Shared by every kernels/*.cu file.  The loader (gradcore.backend.cupy_backend.kernel_source)
// pastes this header into each source before NVRTC sees it, so a module's source text -- and
// CuPy's cache key -- covers everything it is built from.
//
// Conventions (docs/kernels.md):
// - 64-bit indexing (index_t) everywhere; launches use GC_THREADS threads per block and
//   grid-stride loops, so any grid size gives the same result.
// - Every kernel is a template over its storage type T: float, double and, where it makes
//   sense, gc_half (IEEE binary16, laid out as CUDA's __half; defined here because NVRTC has no
//   cuda_fp16.h without the toolkit headers).  Arithmetic runs in opmath_t<T>: float for
//   gc_half, T otherwise; scalar parameters are passed in opmath_t<T>.
// - Elementwise kernels come in two forms: contiguous ("flat": every array is C-contiguous
//   with the output's shape) and strided (a Geom describes the collapsed output shape and each
//   input's element strides, 0 along broadcast dims).  Outputs are always C-contiguous.
// - Reductions are deterministic: fixed per-thread order, fixed warp-shuffle trees, no atomics.
#pragma once

typedef long long index_t;

#define GC_THREADS 256    // threads per block (the Python launcher uses the same value)
#define GC_UNROLL 4       // elements per thread per grid-stride step of an elementwise kernel
#define GC_MAX_DIMS 6     // dims of a strided geometry after collapsing
#define GC_MAX_INPUTS 4   // arrays a strided geometry can describe

// ---- half precision storage ------------------------------------------------------------------

struct gc_half {
  unsigned short bits;
};

// GRADCORE_EMULATOR: the CPU emulator (tests/cuda_emu, docs/emulator.md) compiles these
// sources with g++, which has no PTX; it converts with the same IEEE round-to-nearest-even.
#ifdef GRADCORE_EMULATOR
__device__ __forceinline__ float gc_half_to_float(gc_half h) {
  return gc_emu_half_bits_to_float(h.bits);
}
__device__ __forceinline__ gc_half gc_float_to_half(float f) {
  gc_half h;
  h.bits = gc_emu_float_to_half_bits(f);
  return h;
}
#else
__device__ __forceinline__ float gc_half_to_float(gc_half h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
}

__device__ __forceinline__ gc_half gc_float_to_half(float f) {
  gc_half h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
  return h;
}
#endif

template <typename T> struct gc_opmath { typedef T type; };
template <> struct gc_opmath<gc_half> { typedef float type; };
template <typename T> using opmath_t = typename gc_opmath<T>::type;

template <typename T>
__device__ __forceinline__ opmath_t<T> gc_load(const T* p, index_t i) { return p[i]; }
__device__ __forceinline__ float gc_load(const gc_half* p, index_t i) {
  return gc_half_to_float(p[i]);
}

template <typename T>
__device__ __forceinline__ void gc_store(T* p, index_t i, opmath_t<T> v) { p[i] = v; }
__device__ __forceinline__ void gc_store(gc_half* p, index_t i, float v) {
  p[i] = gc_float_to_half(v);
}

// ---- math in float or double (explicit, so a float never silently runs in double) ----------
// (sin and cos: trig.cuh)

__device__ __forceinline__ float gc_exp(float x) { return expf(x); }
__device__ __forceinline__ double gc_exp(double x) { return exp(x); }
__device__ __forceinline__ float gc_log(float x) { return logf(x); }
__device__ __forceinline__ double gc_log(double x) { return log(x); }
__device__ __forceinline__ float gc_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double gc_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float gc_erf(float x) { return erff(x); }
__device__ __forceinline__ double gc_erf(double x) { return erf(x); }
__device__ __forceinline__ float gc_pow(float x, float e) { return powf(x, e); }
__device__ __forceinline__ double gc_pow(double x, double e) { return pow(x, e); }

// Correctly rounded, never contracted into an FMA: the optimizer updates use these so that
// they follow the NumPy reference operation for operation.
__device__ __forceinline__ float gc_mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double gc_mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float gc_add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double gc_add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float gc_sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double gc_sub_rn(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float gc_div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double gc_div_rn(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ float gc_sqrt_rn(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double gc_sqrt_rn(double a) { return __dsqrt_rn(a); }

// NumPy's maximum: NaN wins.
template <typename M>
__device__ __forceinline__ M gc_nan_max(M a, M b) {
  return (a != a) ? a : ((b != b) ? b : (a > b ? a : b));
}

// ---- index arithmetic ------------------------------------------------------------------------

// a / b for 0 <= a, 0 < b: 32-bit hardware division when both fit, else a double-precision
// estimate refined once and corrected by at most one step.  Inline: the compiler's 64-bit
// division is a subroutine call whose calling convention spills registers.
__device__ __forceinline__ index_t gc_div(index_t a, index_t b) {
  const unsigned long long ua = (unsigned long long)a, ub = (unsigned long long)b;
  if (((ua | ub) >> 32) == 0) return (index_t)((unsigned)ua / (unsigned)ub);
  const double rcp = __drcp_rn((double)ub);
  long long q = (long long)((double)ua * rcp);
  q += (long long)((double)(long long)(ua - (unsigned long long)q * ub) * rcp);
  long long r = (long long)(ua - (unsigned long long)q * ub);
  while (r < 0) { --q; r += (long long)ub; }
  while (r >= (long long)ub) { ++q; r -= (long long)ub; }
  return q;
}

// ---- loops -----------------------------------------------------------------------------------

// f(i) for every i in [0, n): each block takes tiles of GC_UNROLL * blockDim.x consecutive
// elements (thread t handles t, t + blockDim.x, ...: coalesced, with GC_UNROLL independent
// loads in flight), striding over tiles by the grid.
template <typename F>
__device__ __forceinline__ void gc_for_each(index_t n, F f) {
  const index_t tile = (index_t)blockDim.x * GC_UNROLL;
  for (index_t base = (index_t)blockIdx.x * tile; base < n; base += (index_t)gridDim.x * tile) {
#pragma unroll
    for (int j = 0; j < GC_UNROLL; ++j) {
      const index_t i = base + threadIdx.x + (index_t)j * blockDim.x;
      if (i < n) f(i);
    }
  }
}

// Thread-per-unit and warp-per-unit grid-stride loops (units: reduction rows or columns).
template <typename F>
__device__ __forceinline__ void gc_for_each_thread(index_t units, F f) {
  const index_t step = (index_t)gridDim.x * blockDim.x;
  for (index_t u = (index_t)blockIdx.x * blockDim.x + threadIdx.x; u < units; u += step) f(u);
}

template <typename F>
__device__ __forceinline__ void gc_for_each_warp(index_t units, F f) {
  const index_t warps = ((index_t)gridDim.x * blockDim.x) >> 5;
  const index_t first = ((index_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  // the bound is uniform across a warp, so whole warps enter and leave together
  for (index_t u = first; u < units; u += warps) f(u, (int)(threadIdx.x & 31));
}

// Sum over a warp with a fixed shuffle tree, then broadcast lane 0's total: every lane gets
// the same bits, and the same inputs always give the same bits.
template <typename A>
__device__ __forceinline__ A gc_warp_sum(A v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return __shfl_sync(0xffffffffu, v, 0);
}

// ---- strided geometry ------------------------------------------------------------------------

// An output of `size` elements in C order, its dims collapsed to `ndim` <= GC_MAX_DIMS, listed
// innermost first; stride[k][d] is input k's element stride along dim d (0: broadcast).
// Passed by value (a NumPy structured scalar with the same layout: cupy_backend.GEOM).
struct Geom {
  index_t ndim;
  index_t size;
  index_t shape[GC_MAX_DIMS];
  index_t stride[GC_MAX_INPUTS][GC_MAX_DIMS];
};

// Element offsets of output element i in the first NIN inputs.
template <int NIN>
__device__ __forceinline__ void gc_offsets(const Geom& g, index_t i, index_t (&off)[NIN]) {
#pragma unroll
  for (int k = 0; k < NIN; ++k) off[k] = 0;
  const int last = (int)g.ndim - 1;
#pragma unroll 1
  for (int d = 0; d < last; ++d) {
    const index_t q = gc_div(i, g.shape[d]);
    const index_t c = i - q * g.shape[d];
#pragma unroll
    for (int k = 0; k < NIN; ++k) off[k] += c * g.stride[k][d];
    i = q;
  }
#pragma unroll
  for (int k = 0; k < NIN; ++k) off[k] += i * g.stride[k][last];
}
