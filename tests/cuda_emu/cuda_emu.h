// CUDA on the CPU: the host header g++ compiles the unmodified kernels/*.cu sources against
// (force-included with -include by tests/cuda_emu/loader.py).  docs/emulator.md describes the
// execution model; tests/cuda_emu/runtime.cpp is the fiber scheduler behind the sync points.
//
// Each thread of a block is a ucontext fiber; threadIdx/blockIdx/blockDim/gridDim are globals
// the scheduler sets before it resumes a fiber.  __syncthreads, __syncwarp and the __shfl_*
// functions hand control back to the scheduler, which resumes the fibers once every thread
// (block) or every lane of the mask (warp) has arrived, and reports a barrier reached by only
// part of a block, or lanes disagreeing on a shuffle, as an error.
#pragma once
#define GRADCORE_EMULATOR 1

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

// ---- qualifiers --------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __constant__ static
#define __align__(n) __attribute__((aligned(n)))
// static __shared__ variables live in one section the runtime fills with 0xFF before each
// block (extern __shared__ arrays are rewritten by the loader to GC_EMU_DYNAMIC_SHARED).
#define __shared__ static __attribute__((section("gc_emu_shared"), aligned(16)))
#define GC_EMU_DYNAMIC_SHARED __attribute__((aligned(16)))

struct uint3 { unsigned int x, y, z; };
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1)
      : x(x_), y(y_), z(z_) {}
};

extern "C" {
extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;
#define warpSize 32

// runtime.cpp
void gc_emu_syncthreads(const void* site);
void gc_emu_syncwarp(unsigned mask, const void* site);
unsigned long long gc_emu_shfl(int kind, unsigned mask, unsigned long long bits, int size,
                               int param, int width, const void* site);
}

// ---- synchronisation ---------------------------------------------------------------------------
#define GC_EMU_STR2(x) #x
#define GC_EMU_STR(x) GC_EMU_STR2(x)
// the call site (file:line) tells two barriers apart: threads waiting at different ones diverged
#define __syncthreads() gc_emu_syncthreads(__FILE__ ":" GC_EMU_STR(__LINE__))
inline void __syncwarp(unsigned mask = 0xffffffffu) { gc_emu_syncwarp(mask, nullptr); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

enum { GC_EMU_SHFL_IDX = 0, GC_EMU_SHFL_UP = 1, GC_EMU_SHFL_DOWN = 2, GC_EMU_SHFL_XOR = 3 };

template <typename T>
inline T gc_emu_shfl_t(int kind, unsigned mask, T v, int param, int width) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a large type");
  unsigned long long bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = gc_emu_shfl(kind, mask, bits, (int)sizeof(T), param, width, nullptr);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}
template <typename T> inline T __shfl_sync(unsigned m, T v, int src, int w = 32) {
  return gc_emu_shfl_t(GC_EMU_SHFL_IDX, m, v, src, w);
}
template <typename T> inline T __shfl_up_sync(unsigned m, T v, unsigned d, int w = 32) {
  return gc_emu_shfl_t(GC_EMU_SHFL_UP, m, v, (int)d, w);
}
template <typename T> inline T __shfl_down_sync(unsigned m, T v, unsigned d, int w = 32) {
  return gc_emu_shfl_t(GC_EMU_SHFL_DOWN, m, v, (int)d, w);
}
template <typename T> inline T __shfl_xor_sync(unsigned m, T v, int lane_mask, int w = 32) {
  return gc_emu_shfl_t(GC_EMU_SHFL_XOR, m, v, lane_mask, w);
}

// ---- atomics (real atomic instructions, so ThreadSanitizer sees them as atomic) -------------
template <typename T> inline T gc_emu_atomic_int_add(T* p, T v) {
  return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
inline int atomicAdd(int* p, int v) { return gc_emu_atomic_int_add(p, v); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return gc_emu_atomic_int_add(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return gc_emu_atomic_int_add(p, v);
}
template <typename F, typename U> inline F gc_emu_atomic_float_add(F* p, F v) {
  static_assert(sizeof(F) == sizeof(U), "");
  U* q = reinterpret_cast<U*>(p);
  U old = __atomic_load_n(q, __ATOMIC_RELAXED), next;
  F f;
  do {
    std::memcpy(&f, &old, sizeof f);
    const F s = f + v;
    std::memcpy(&next, &s, sizeof s);
  } while (!__atomic_compare_exchange_n(q, &old, next, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  return f;
}
inline float atomicAdd(float* p, float v) { return gc_emu_atomic_float_add<float, unsigned>(p, v); }
inline double atomicAdd(double* p, double v) {
  return gc_emu_atomic_float_add<double, unsigned long long>(p, v);
}
template <typename T> inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED); }
template <typename T> inline T atomicExch(T* p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
template <typename T> inline T atomicCAS(T* p, T cmp, T v) {
  __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return cmp;
}
template <typename T> inline T atomicMax(T* p, T v) {
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  return old;
}
template <typename T> inline T atomicMin(T* p, T v) {
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (old > v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  return old;
}

// ---- intrinsics and math -----------------------------------------------------------------------
// Host IEEE arithmetic is round-to-nearest and (with -ffp-contract=off) never contracted, so
// the _rn intrinsics are the plain operators.  Not modelled: -ftz=true (flush-to-zero) and the
// FMA contraction nvcc/NVRTC apply by default (docs/emulator.md: compare with tolerances).
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline double __drcp_rn(double a) { return 1.0 / a; }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float a) { return std::exp(a); }
inline float __logf(float a) { return std::log(a); }
inline float __sinf(float a) { return std::sin(a); }
inline float __cosf(float a) { return std::cos(a); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
template <typename T> inline T __ldg(const T* p) { return *p; }

inline long long __double_as_longlong(double d) { long long r; std::memcpy(&r, &d, 8); return r; }
inline double __longlong_as_double(long long v) { double r; std::memcpy(&r, &v, 8); return r; }
inline unsigned __float_as_uint(float f) { unsigned r; std::memcpy(&r, &f, 4); return r; }
inline float __uint_as_float(unsigned v) { float r; std::memcpy(&r, &v, 4); return r; }
inline int __float_as_int(float f) { int r; std::memcpy(&r, &f, 4); return r; }
inline float __int_as_float(int v) { float r; std::memcpy(&r, &v, 4); return r; }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clz(int v) { return v ? __builtin_clz((unsigned)v) : 32; }
inline int __clzll(long long v) { return v ? __builtin_clzll((unsigned long long)v) : 64; }
inline int __ffs(int v) { return __builtin_ffs(v); }

// CUDA's device math library: the overloaded names, min/max over every arithmetic type.
using std::abs; using std::fabs; using std::sqrt; using std::exp; using std::log; using std::pow;
using std::tanh; using std::erf; using std::fma; using std::rint; using std::floor; using std::ceil;
using std::sin; using std::cos; using std::isnan; using std::isinf; using std::fmin; using std::fmax;
template <typename A, typename B>
inline typename std::common_type<A, B>::type min(A a, B b) {
  typedef typename std::common_type<A, B>::type C;
  return (C)b < (C)a ? (C)b : (C)a;
}
template <typename A, typename B>
inline typename std::common_type<A, B>::type max(A a, B b) {
  typedef typename std::common_type<A, B>::type C;
  return (C)a < (C)b ? (C)b : (C)a;
}

// ---- half precision: IEEE binary16 <-> float, round to nearest even ------------------------
// (common.cuh converts with inline PTX cvt; its GRADCORE_EMULATOR seam calls these instead)
inline float gc_emu_half_bits_to_float(unsigned short h) {
  const unsigned sign = (unsigned)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
  unsigned bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal: exact in float
    const float f = (float)man * 5.9604644775390625e-08f;  // 2^-24
    std::memcpy(&bits, &f, 4);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline unsigned short gc_emu_float_to_half_bits(float f) {
  unsigned x;
  std::memcpy(&x, &f, 4);
  const unsigned short sign = (unsigned short)((x >> 16) & 0x8000u);
  const unsigned ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u)  // inf or NaN (NaN stays a quiet NaN)
    return sign | 0x7c00u | (ax > 0x7f800000u ? (0x200u | ((ax >> 13) & 0x3ffu)) : 0u);
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: overflow to inf
  if (ax < 0x38800000u) {  // below 2^-14: subnormal half (or zero), round to nearest even
    float a;
    std::memcpy(&a, &ax, 4);
    const float q = std::nearbyint(a * 16777216.0f);  // in units of 2^-24; exact scaling
    return sign | (unsigned short)q;
  }
  const unsigned rounded = ax + 0xfffu + ((ax >> 13) & 1u);  // round mantissa to 10 bits
  return sign | (unsigned short)((rounded - 0x38000000u) >> 13);
}

// CUDA's own __half, the little of it a kernel might use (gradcore's kernels use gc_half)
struct __half { unsigned short __x; };
inline float __half2float(__half h) { return gc_emu_half_bits_to_float(h.__x); }
inline __half __float2half(float f) { return __half{gc_emu_float_to_half_bits(f)}; }
inline __half __float2half_rn(float f) { return __float2half(f); }

// ---- the launch table the loader appends after the kernel source ---------------------------
// GC_EMU_ENTRY(&kernel<...>) gives a thunk calling the kernel with its arguments read from
// void* args[i] (CUDA's kernelParams convention), and the kernel's real C++ signature as text:
// one item per parameter, "p" (pointer) or "v" (value), then the element kind (f float,
// i signed, u unsigned, b bool, h gc_half, s struct) and size in bytes, e.g. "pf4,vi8,vs416".
template <typename E> struct gc_emu_is_half : std::false_type {};
template <> struct gc_emu_is_half<__half> : std::true_type {};

template <typename E> inline void gc_emu_describe(std::string& s) {
  typedef typename std::remove_cv<E>::type U;
  if (gc_emu_is_half<U>::value) s += 'h';
  else if (std::is_same<U, bool>::value) s += 'b';
  else if (std::is_floating_point<U>::value) s += 'f';
  else if (std::is_integral<U>::value) s += std::is_signed<U>::value ? 'i' : 'u';
  else s += 's';
  s += std::to_string(sizeof(U));
}

template <typename A> inline void gc_emu_param(std::string& s) {
  if (!s.empty()) s += ',';
  if (std::is_pointer<A>::value) {
    s += 'p';
    gc_emu_describe<typename std::remove_pointer<A>::type>(s);
  } else {
    s += 'v';
    gc_emu_describe<A>(s);
  }
}

template <typename... A> struct gc_emu_kernel_type {
  static constexpr size_t arity = sizeof...(A);
  template <size_t... I>
  static void call(void (*k)(A...), void** args, std::index_sequence<I...>) {
    k(*reinterpret_cast<typename std::remove_cv<A>::type*>(args[I])...);
  }
  static std::string signature() {
    std::string s;
    int dummy[] = {0, (gc_emu_param<A>(s), 0)...};
    (void)dummy;
    return s;
  }
};

template <typename... A>
inline gc_emu_kernel_type<A...> gc_emu_traits(void (*)(A...)) { return {}; }

template <auto K> void gc_emu_thunk(void** args) {
  typedef decltype(gc_emu_traits(K)) Tr;
  Tr::call(K, args, std::make_index_sequence<Tr::arity>());
}
template <auto K> const char* gc_emu_signature() {
  static const std::string s = decltype(gc_emu_traits(K))::signature();
  return s.c_str();
}

struct gc_emu_entry {
  const char* name;
  void (*thunk)(void**);
  const char* (*signature)();
};
#define GC_EMU_ENTRY(name, ...) {name, &gc_emu_thunk<__VA_ARGS__>, &gc_emu_signature<__VA_ARGS__>}
