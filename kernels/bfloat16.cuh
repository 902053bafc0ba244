// bfloat16 storage for the kernels instantiated for it (conv.cu, bias_act.cu,
// multi_tensor.cu): the upper half of a float32, converted with round to nearest even (NaN
// stays a quiet NaN); arithmetic runs in float (opmath_t).
#pragma once

struct gc_bfloat16 {
  unsigned short bits;
};
template <> struct gc_opmath<gc_bfloat16> { typedef float type; };

__device__ __forceinline__ float gc_load(const gc_bfloat16* p, index_t i) {
  return __uint_as_float((unsigned)p[i].bits << 16);
}
__device__ __forceinline__ void gc_store(gc_bfloat16* p, index_t i, float v) {
  const unsigned u = __float_as_uint(v);
  gc_bfloat16 h;
  h.bits = (v != v) ? (unsigned short)((u >> 16) | 0x40u)
                    : (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  p[i] = h;
}
